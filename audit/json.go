package audit

import (
	"slices"
	"strconv"
	"time"

	"github.com/cslscreen/screener/internal/jsontext"
)

// AppendJSON appends r encoded as JSON to b: the same bytes as
// encoding/json with HTML escaping off (a test holds the two together for
// every field), at a fraction of the cost. A durable audit log encodes one record per screening on the
// request's goroutine, so reflection's cost there is paid by every answer.
func (r *Record) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = jsontext.AppendString(b, r.ID)
	if r.ClientRequestID != "" {
		b = append(b, `,"client_request_id":`...)
		b = jsontext.AppendString(b, r.ClientRequestID)
	}
	b = append(b, `,"time":"`...)
	b = r.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if r.KeyID != "" {
		b = append(b, `,"key_id":`...)
		b = jsontext.AppendString(b, r.KeyID)
	}
	b = append(b, `,"channel":`...)
	b = jsontext.AppendString(b, r.Channel)
	if q := r.Query; q != nil {
		b = append(b, `,"query":{"name":`...)
		b = jsontext.AppendString(b, q.Name)
		b = appendOptString(b, `,"country":`, q.Country)
		b = appendOptString(b, `,"type":`, q.Type)
		b = append(b, `,"limit":`...)
		b = strconv.AppendInt(b, int64(q.Limit), 10)
		b = append(b, `,"min_score":`...)
		b = jsontext.AppendFloat(b, q.MinScore)
		b = appendOptString(b, `,"date_of_birth":`, q.DateOfBirth)
		b = appendOptString(b, `,"nationality":`, q.Nationality)
		b = appendOptString(b, `,"identifier":`, q.Identifier)
		b = append(b, '}')
	}
	b = appendOptString(b, `,"list_version":`, r.ListVersion)
	b = appendOptString(b, `,"status":`, r.Status)
	if len(r.Warnings) > 0 {
		b = append(b, `,"warnings":[`...)
		for i, w := range r.Warnings {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsontext.AppendString(b, w)
		}
		b = append(b, ']')
	}
	b = append(b, `,"match_count":`...)
	b = strconv.AppendInt(b, int64(r.MatchCount), 10)
	b = appendMatches(b, `,"top_matches":[`, r.TopMatches)
	b = appendMatches(b, `,"suppressed":[`, r.Suppressed)
	if j := r.Batch; j != nil {
		b = append(b, `,"batch":{"job_id":`...)
		b = jsontext.AppendString(b, j.JobID)
		b = appendOptString(b, `,"input_sha256":`, j.InputSHA256)
		b = append(b, `,"rows":`...)
		b = strconv.AppendInt(b, j.Rows, 10)
		b = appendOptString(b, `,"list_version":`, j.ListVersion)
		if len(j.Outcomes) > 0 {
			b = append(b, `,"outcomes":{`...)
			keys := make([]string, 0, len(j.Outcomes))
			for k := range j.Outcomes {
				keys = append(keys, k)
			}
			slices.Sort(keys) // encoding/json sorts map keys
			for i, k := range keys {
				if i > 0 {
					b = append(b, ',')
				}
				b = jsontext.AppendString(b, k)
				b = append(b, ':')
				b = strconv.AppendInt(b, j.Outcomes[k], 10)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if br := r.BatchRow; br != nil {
		b = append(b, `,"batch_row":{"job_id":`...)
		b = jsontext.AppendString(b, br.JobID)
		b = append(b, `,"row":`...)
		b = strconv.AppendInt(b, br.Row, 10)
		b = appendOptString(b, `,"reference":`, br.Reference)
		b = append(b, '}')
	}
	if e := r.Event; e != nil {
		b = append(b, `,"event":{"action":`...)
		b = jsontext.AppendString(b, e.Action)
		b = appendOptString(b, `,"detail":`, e.Detail)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendOptString appends key and s unless s is empty (omitempty).
func appendOptString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return jsontext.AppendString(append(b, key...), s)
}

func appendMatches(b []byte, key string, ms []Match) []byte {
	if len(ms) == 0 {
		return b
	}
	b = append(b, key...)
	for i := range ms {
		m := &ms[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = jsontext.AppendString(b, m.ID)
		b = append(b, `,"list":`...)
		b = jsontext.AppendString(b, m.List)
		b = append(b, `,"name":`...)
		b = jsontext.AppendString(b, m.Name)
		b = append(b, `,"score":`...)
		b = jsontext.AppendFloat(b, m.Score)
		b = appendOptString(b, `,"suppressed_by":`, m.SuppressedBy)
		b = append(b, '}')
	}
	return append(b, ']')
}
