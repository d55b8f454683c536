package client

import "time"

// ScreenRequest is the body of POST /v1/screen. Zero fields take the
// server's defaults.
type ScreenRequest struct {
	Name string `json:"name"`
	// Country is an ISO 3166-1 alpha-2 code.
	Country string `json:"country,omitempty"`
	// Type is Entity, Individual, Vessel or Aircraft.
	Type     string   `json:"type,omitempty"`
	Limit    int      `json:"limit,omitempty"`
	MinScore *float64 `json:"min_score,omitempty"`
	// DateOfBirth (YYYY, YYYY-MM or YYYY-MM-DD), Nationality (ISO 3166-1
	// alpha-2) and Identifier (passport, registration or tax number) are
	// compared with a matched entry's: agreement raises its score, a clear
	// conflict lowers it.
	DateOfBirth string `json:"date_of_birth,omitempty"`
	Nationality string `json:"nationality,omitempty"`
	Identifier  string `json:"identifier,omitempty"`
}

// Status is the outcome of one screening.
type Status string

// Screening outcomes.
const (
	// StatusMatch: at least one listed party resembles the name.
	StatusMatch Status = "match"
	// StatusClear: nothing on the list resembles the name closely enough.
	StatusClear Status = "clear"
	// StatusUnscreenable: the name could not be screened meaningfully
	// (e.g. nothing but legal-form words); it is neither cleared nor matched.
	StatusUnscreenable Status = "unscreenable"
)

// Warning is something the reader of a screening must know: the list is
// the small built-in snapshot ("builtin_list"), the list is old
// ("stale_list"), the name cannot be screened ("name_unscreenable"), …
// Codes not known to this client are kept as sent.
type Warning struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// Warning codes the server sends today.
const (
	WarningBuiltinList      = "builtin_list"
	WarningStaleList        = "stale_list"
	WarningNameUnscreenable = "name_unscreenable"
)

// ListInfo describes the list version a screening was made against.
type ListInfo struct {
	Version string `json:"version"`
	Entries int    `json:"entries"`
	// Builtin is true for the small snapshot compiled into the server,
	// which is NOT the full list.
	Builtin   bool      `json:"builtin"`
	FetchedAt time.Time `json:"fetched_at"`
	// PublishedAt is when the list's publisher dated it, as sent, when known.
	PublishedAt string `json:"published_at,omitempty"`
}

// ScreenQuery is the query as the server understood it, defaults applied.
type ScreenQuery struct {
	Name        string  `json:"name"`
	Country     string  `json:"country,omitempty"`
	Type        string  `json:"type,omitempty"`
	Limit       int     `json:"limit"`
	MinScore    float64 `json:"min_score"`
	DateOfBirth string  `json:"date_of_birth,omitempty"`
	Nationality string  `json:"nationality,omitempty"`
	Identifier  string  `json:"identifier,omitempty"`
}

// ScreenResponse is the answer of POST /v1/screen.
type ScreenResponse struct {
	// ID identifies the screening: the id of its audit record
	// (GET /v1/audit/{id}).
	ID          string `json:"id"`
	ListVersion string `json:"list_version"`
	// Status is empty from servers older than the field; use Outcome.
	Status     Status      `json:"status,omitempty"`
	Warnings   []Warning   `json:"warnings,omitempty"`
	List       *ListInfo   `json:"list,omitempty"`
	ScreenedAt time.Time   `json:"screened_at"`
	Query      ScreenQuery `json:"query"`
	Matches    []Match     `json:"matches"`
	// Suppressed are matches an analyst decided were false positives for
	// this name and key (Decide); they do not count in Status.
	Suppressed []SuppressedMatch `json:"suppressed,omitempty"`
}

// SuppressedMatch is a match a false positive decision suppressed.
type SuppressedMatch struct {
	Match
	// SuppressedBy is the decision's id (Client.Decision).
	SuppressedBy string `json:"suppressed_by"`
}

// Outcome is Status, or for a server that does not send it, match or
// clear by whether there are matches.
func (r *ScreenResponse) Outcome() Status {
	switch {
	case r.Status != "":
		return r.Status
	case len(r.Matches) > 0:
		return StatusMatch
	}
	return StatusClear
}

// Match is one listed party resembling the query.
type Match struct {
	ID                    string      `json:"id"`
	Source                string      `json:"source"`
	List                  string      `json:"list"`
	Name                  string      `json:"name"`
	MatchedName           string      `json:"matched_name"`
	Score                 float64     `json:"score"`
	Type                  string      `json:"type"`
	Programs              []string    `json:"programs"`
	Addresses             []Address   `json:"addresses"`
	FederalRegisterNotice string      `json:"federal_register_notice"`
	StartDate             string      `json:"start_date"`
	EndDate               string      `json:"end_date"`
	LicenseRequirement    string      `json:"license_requirement"`
	LicensePolicy         string      `json:"license_policy"`
	Remarks               string      `json:"remarks"`
	SourceListURL         string      `json:"source_list_url"`
	SourceInformationURL  string      `json:"source_information_url"`
	Explanation           Explanation `json:"explanation"`
}

// Address is a listed party's address.
type Address struct {
	Address    string `json:"address,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"`
}

// Explanation is why a name matched, for a reviewer to read.
type Explanation struct {
	Words           []WordMatch `json:"words"`
	UnmatchedQuery  []string    `json:"unmatched_query,omitempty"`
	UnmatchedListed []string    `json:"unmatched_listed,omitempty"`
	CountryPenalty  float64     `json:"country_penalty,omitempty"`
	Summary         string      `json:"summary"`
	// Facts say how the date of birth, nationality or identifier asked for
	// compared with the entry's, and what each did to the score.
	Facts []FactCheck `json:"facts,omitempty"`
}

// FactCheck is one comparison of a request fact with the entry's record.
type FactCheck struct {
	Field  string  `json:"field"`
	Query  string  `json:"query"`
	Listed string  `json:"listed"`
	How    string  `json:"how"`
	Adjust float64 `json:"adjust"`
}

// WordMatch is one query word paired with a listed word.
type WordMatch struct {
	Query  string  `json:"query"`
	Listed string  `json:"listed"`
	How    string  `json:"how"`
	Score  float64 `json:"score"`
	Weight float64 `json:"weight"`
}

// JobStatus is where a batch job is in its life.
type JobStatus string

// Batch job states; a job never goes back to an earlier one.
const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobDone      JobStatus = "done"
	JobFailed    JobStatus = "failed"
	JobCancelled JobStatus = "cancelled"
)

// Finished reports whether the job will not change any more.
func (s JobStatus) Finished() bool { return s == JobDone || s == JobFailed || s == JobCancelled }

// Job is a batch job's status, as GET /v1/batches/{id} answers it.
type Job struct {
	ID          string    `json:"id"`
	Status      JobStatus `json:"status"`
	ListVersion string    `json:"list_version"`
	// Format is the upload's: "csv" or "jsonl".
	Format          string `json:"format"`
	Rows            int64  `json:"rows"`
	RowsDone        int64  `json:"rows_done"`
	RowsWithMatches int64  `json:"rows_with_matches"`
	RowsWithErrors  int64  `json:"rows_with_errors"`
	Chunks          int    `json:"chunks"`
	ChunksDone      int    `json:"chunks_done"`

	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	// Error says why a job failed.
	Error string `json:"error,omitempty"`
	// Columns are the input columns passed through to the results.
	Columns []string `json:"columns"`
	// Results is the path of the job's results.
	Results string `json:"results,omitempty"`
}

// Elapsed is the server's screening time: from start (or creation) to
// finish, or to now while the job runs. now comes from the caller's
// clock, so a running job's figure is off by the clocks' skew; a finished
// job's is the server's alone.
func (j *Job) Elapsed(now time.Time) time.Duration {
	from := j.CreatedAt
	if j.StartedAt != nil {
		from = *j.StartedAt
	}
	to := now
	if j.FinishedAt != nil {
		to = *j.FinishedAt
	}
	return max(to.Sub(from), 0)
}

// Rate is rows screened per second by the server's timings (see Elapsed);
// 0 when nothing can be said yet.
func (j *Job) Rate(now time.Time) float64 {
	el := j.Elapsed(now).Seconds()
	if el <= 0 || j.RowsDone == 0 {
		return 0
	}
	return float64(j.RowsDone) / el
}
