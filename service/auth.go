package service

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

const (
	ctxKeyID     = "screener.key_id"
	ctxKeyScopes = "screener.key_scopes"
)

// Scopes a key can have. Without keys configured, every caller has every
// scope (the API is open).
const (
	// ScopeScreen screens names and runs batches of its own (the default).
	ScopeScreen = "screen"
	// ScopeAdmin also refreshes lists on demand and reads every key's audit
	// records.
	ScopeAdmin = "admin"
	// ScopeDecide records analysts' decisions on alerts; admin includes it.
	ScopeDecide = "decide"
)

// hasScope reports whether the request's key has scope; true when no keys
// are configured.
func hasScope(c *gin.Context, scope string) bool {
	v, ok := c.Get(ctxKeyScopes)
	if !ok {
		return keyID(c) == "" // an open API: no key, every scope
	}
	for _, s := range v.([]string) {
		if s == scope || s == ScopeAdmin && scope == ScopeDecide {
			return true
		}
	}
	return false
}

// requireScope answers 403 unless the request's key has scope.
func requireScope(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !hasScope(c, scope) {
			problem(c, http.StatusForbidden, kindForbidden, fmt.Sprintf("the API key %q lacks the %q scope this needs", keyID(c), scope))
			return
		}
		c.Next()
	}
}

// keyID returns the id of the API key the request authenticated with, or "".
func keyID(c *gin.Context) string {
	if v, ok := c.Get(ctxKeyID); ok {
		return v.(string)
	}
	return ""
}

// APIKey is one configured key: an id that logs and audit records may show,
// the SHA-256 of the secret, which is all the service ever stores, and what
// the key may do.
type APIKey struct {
	ID     string
	Hash   [sha256.Size]byte
	Scopes []string
}

// KeySet is the configured API keys. A nil or empty KeySet means the API
// is open.
type KeySet struct {
	keys []APIKey
}

// ParseKeys reads "keyid:sha256hex[:scope,…]" items separated by commas
// or newlines; blank lines and lines starting with # are skipped. A key's
// scopes follow its hash, separated by commas (a bare word after a key is
// one of its scopes, since a key always has a colon), "+" or ";"; they
// default to screen, and admin includes screen. source names the input in errors
// ("API_KEYS", a file path).
func ParseKeys(r io.Reader, source string) (*KeySet, error) {
	ks := &KeySet{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	line, lastLine := 0, 0
	for sc.Scan() {
		line++
		for _, item := range strings.Split(sc.Text(), ",") {
			item = strings.TrimSpace(item)
			if item == "" || strings.HasPrefix(item, "#") {
				continue
			}
			if !strings.Contains(item, ":") && len(ks.keys) > 0 && lastLine == line {
				// "ops:HASH:screen,admin": a bare scope after a key on
				// the same line is one more scope of that key.
				more, err := parseScopes(item)
				if err != nil {
					return nil, fmt.Errorf("%s line %d: %w", source, line, err)
				}
				last := &ks.keys[len(ks.keys)-1]
				for _, sc := range more {
					if !slices.Contains(last.Scopes, sc) {
						last.Scopes = append(last.Scopes, sc)
					}
				}
				continue
			}
			lastLine = line
			id, rest, ok := strings.Cut(item, ":")
			id = strings.TrimSpace(id)
			hexHash, scopeList, _ := strings.Cut(rest, ":")
			hexHash = strings.ToLower(strings.TrimSpace(hexHash))
			if !ok || id == "" {
				return nil, fmt.Errorf("%s line %d: want keyid:sha256hex[:scopes], got %q", source, line, redactKeyItem(item))
			}
			scopes, err := parseScopes(scopeList)
			if err != nil {
				return nil, fmt.Errorf("%s line %d: key %q: %w", source, line, id, err)
			}
			if !validKeyID(id) {
				return nil, fmt.Errorf("%s line %d: key id %q may only use letters, digits, '-', '_' and '.'", source, line, id)
			}
			b, err := hex.DecodeString(hexHash)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("%s line %d: key %q: the hash must be 64 hex digits (the SHA-256 of the key, e.g. from `printf %%s KEY | sha256sum`)", source, line, id)
			}
			if seen[id] {
				return nil, fmt.Errorf("%s line %d: key id %q appears twice", source, line, id)
			}
			seen[id] = true
			k := APIKey{ID: id, Scopes: scopes}
			copy(k.Hash[:], b)
			ks.keys = append(ks.keys, k)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return ks, nil
}

// parseScopes reads a key's scopes, separated by "+" or ";"; none means
// screen, and admin includes screen.
func parseScopes(list string) ([]string, error) {
	scopes := []string{ScopeScreen}
	for _, sc := range strings.FieldsFunc(list, func(r rune) bool { return r == '+' || r == ';' || r == ' ' }) {
		switch sc = strings.ToLower(sc); sc {
		case ScopeScreen:
		case ScopeAdmin, ScopeDecide:
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		default:
			return nil, fmt.Errorf("unknown scope %q (want screen, decide or admin)", sc)
		}
	}
	return scopes, nil
}

// validKeyID reports whether id may name a key: it shows in logs, metrics
// and audit records, so it is kept to a safe alphabet and length.
func validKeyID(id string) bool { return validRequestID(id) }

// redactKeyItem keeps a malformed item out of logs in case it is a raw key.
func redactKeyItem(s string) string {
	if len(s) <= 4 {
		return "****"
	}
	return s[:2] + strings.Repeat("*", len(s)-2)
}

// Len returns the number of keys.
func (ks *KeySet) Len() int {
	if ks == nil {
		return 0
	}
	return len(ks.keys)
}

// lookup returns the key whose hash matches secret. Every
// configured hash is compared, in constant time, so the time taken says
// nothing about which key or how much of it matched.
func (ks *KeySet) lookup(secret string) (*APIKey, bool) {
	sum := sha256.Sum256([]byte(secret))
	found := -1
	for i := range ks.keys {
		if subtle.ConstantTimeCompare(sum[:], ks.keys[i].Hash[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil, false
	}
	return &ks.keys[found], true
}

// presentedKey reads the key from "Authorization: Bearer …", else from
// "X-API-Key". An Authorization header of another scheme is not ours: a
// gateway in front may add its own (Basic) credentials, and they must not
// hide the client's X-API-Key.
func presentedKey(r *http.Request) string {
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		if tok = strings.TrimSpace(tok); tok != "" {
			return tok
		}
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

// requireKey answers 401 unless the request carries a configured key. The
// key itself is never logged; the key id is put on the context for logs,
// rate limits and the audit trail.
func (s *Server) requireKey() gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.keys.Len() == 0 {
			c.Next()
			return
		}
		secret := presentedKey(c.Request)
		if secret == "" {
			s.metrics.authFailures.WithLabelValues("missing").Inc()
			c.Header("WWW-Authenticate", `Bearer realm="screener"`)
			problem(c, http.StatusUnauthorized, kindUnauthorized, "send an API key as 'Authorization: Bearer KEY' or 'X-API-Key: KEY'")
			return
		}
		key, ok := s.keys.lookup(secret)
		if !ok {
			s.metrics.authFailures.WithLabelValues("unknown").Inc()
			c.Header("WWW-Authenticate", `Bearer realm="screener", error="invalid_token"`)
			problem(c, http.StatusUnauthorized, kindUnauthorized, "the API key is not valid")
			return
		}
		c.Set(ctxKeyID, key.ID)
		c.Set(ctxKeyScopes, key.Scopes)
		c.Next()
	}
}
