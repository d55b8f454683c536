// Package matcher finds the list entries whose names resemble a queried name.
//
// It is pure: no I/O, no clock, no globals that change. An Index is built once
// from a list's records, is immutable afterwards and safe for concurrent use,
// so a list update builds a new Index and swaps the pointer.
package matcher

// DefaultThreshold is the score at or above which a match is reported when a
// query does not set its own MinScore. Scores are in [0,1]. 0.78 sits in the
// gap between the tuning set's unlisted names (all but one below 0.76) and
// its listed variants (all but a handful above 0.80): recall 0.996 with a
// 0.2% false-alert rate there; see docs/QUALITY.md.
const DefaultThreshold = 0.78

// Record is one list entry as the matcher sees it: an identity, the names to
// match against and the facts a query may filter or rank on.
type Record struct {
	// ID is the list entry's identifier (the CSL _id); returned in Match.ID.
	ID string
	// Source is the list the entry is on, e.g. "Entity List (EL) - Bureau of Industry and Security".
	Source string
	// Type is the CSL type: "Entity", "Individual", "Vessel", "Aircraft" or "".
	Type string
	// Names holds the primary name first, then every alias.
	Names []string
	// Countries are the ISO 3166 alpha-2 codes the entry is tied to
	// (address countries, nationalities, citizenships), upper case.
	Countries []string
}

// Query is one screening request.
type Query struct {
	// Name is the counterparty name as written by the customer.
	Name string
	// Country, when set (ISO 3166 alpha-2), ranks entries tied to other
	// countries lower; it never removes them.
	Country string
	// Type, when set, keeps only records of that type (case-insensitive).
	// Records with an empty type are kept, since most Entity List rows have none.
	Type string
	// Limit caps the number of matches; 0 means 10.
	Limit int
	// MinScore is the reporting threshold; 0 means DefaultThreshold.
	MinScore float64
	// NoExplanation skips building each match's Explanation, which is then
	// left as its zero value (no words, no summary); the matches, their
	// scores and their order are the same. Batch screening, which never
	// shows explanations, sets it: building them is a large share of the
	// cost of a query that matches.
	NoExplanation bool
}

// Match is one record that resembles the query.
type Match struct {
	// Record is the position of the record in the slice given to Build.
	Record int
	// ID is the record's ID.
	ID string
	// Score is the similarity in [0,1]; higher is closer.
	Score float64
	// NameIndex is the position in Record.Names of the name that matched best.
	NameIndex int
	// MatchedName is that name, as listed.
	MatchedName string
	// Explanation says why the record matched; empty when the query set
	// NoExplanation.
	Explanation Explanation
}

// How a query word was paired with a listed word.
const (
	HowExact           = "exact"           // same word after normalisation
	HowTypo            = "typo"            // within a small edit distance
	HowTransliteration = "transliteration" // same word under another romanisation or script
	HowLegalForm       = "legal_form"      // equivalent legal forms (OOO = LLC)
	HowSynonym         = "synonym"         // a listed spelling variant or abbreviation (Centre = Center, Intl = International)
	HowJoined          = "joined"          // words written together or apart (KasperskyLab = Kaspersky Lab)
	HowPhonetic        = "phonetic"        // sounds alike
	HowLookalike       = "lookalike"       // digits or symbols written for letters (Kasp3rsky = Kaspersky)
	HowInitial         = "initial"         // an initial for a word with that initial (A. = Andrey)
)

// WordMatch pairs one query word with one listed word.
type WordMatch struct {
	Query  string  `json:"query"`
	Listed string  `json:"listed"`
	How    string  `json:"how"`
	Score  float64 `json:"score"`
	// Weight is the word's share of the name's information: rare words weigh
	// more than generic ones ("trading", "group").
	Weight float64 `json:"weight"`
}

// Explanation is a match's reasons, for a reviewer to read.
type Explanation struct {
	// Words are the paired words, in query order.
	Words []WordMatch `json:"words"`
	// UnmatchedQuery are query words with no listed counterpart.
	UnmatchedQuery []string `json:"unmatched_query,omitempty"`
	// UnmatchedListed are listed words with no query counterpart.
	UnmatchedListed []string `json:"unmatched_listed,omitempty"`
	// CountryPenalty is what a country mismatch took off the score (0 when none).
	CountryPenalty float64 `json:"country_penalty,omitempty"`
	// Summary is one human sentence, e.g. "2 of 2 words match; 'kasperskiy' ~ 'kaspersky' by transliteration".
	Summary string `json:"summary"`
}
