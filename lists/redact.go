package lists

import (
	"net/url"
	"strings"
)

// RedactURL returns raw with its user info and query string replaced by
// "***", so a LIST_URL carrying a token (https://user:token@host/… or
// …?api_key=…) can be shown in /v1/lists, logs, errors and metrics. The
// fragment is dropped. A string that does not parse as a URL is cut before
// any "@" or "?" it holds, since it may still carry a secret.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			if j := strings.Index(raw, "//"); j >= 0 && j < i {
				raw = raw[:j+2] + "***" + raw[i:]
			} else {
				raw = "***" + raw[i:]
			}
		}
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			raw = raw[:i] + "?***"
		}
		return raw
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme + ":")
	}
	if u.Host != "" || u.User != nil {
		b.WriteString("//")
		if u.User != nil {
			b.WriteString("***@")
		}
		b.WriteString(u.Host)
	}
	b.WriteString(u.EscapedPath())
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?***")
	}
	return b.String()
}
