//go:build realeval

package matcher

// TestRealVariation measures the matcher on real name variation rather than
// generated variants: the aliases the lists themselves record. Run it with
//
//	go test -tags realeval -run TestRealVariation -v ./matcher/
//
// (about two minutes on two cores; REALEVAL_MISSES=N logs N misses per kind).
// It reports, and asserts nothing beyond sanity: it is a measurement for
// tuning, not a gate. docs/QUALITY.md ("Real variation") explains the
// method and records the figures.
//
// Leave one alias out. Each alias of an entry is screened against an index
// in which that entry is listed without it, and the entry is expected among
// the matches at the default threshold and limit (score.py's semantics). The
// matcher returns one match per record, scored by its best name, so an index
// holding the alias would always answer with the alias itself (score 1) and
// say nothing about the entry's other names; and rebuilding the index for
// each of 20,000 aliases would take hours. So the aliases are split into
// folds: fold f removes, from every entry, the aliases at positions
// i ≡ f (mod folds), builds one index (about a second), and screens the
// removed aliases. An entry with no more aliases than folds loses exactly
// one name per fold, which is leave-one-out exactly; the few entries with
// more lose one in every `folds` of their aliases at once and keep the rest.
// Entries that share an id (the CSL repeats a few) lose the same names
// together, so a copy cannot give the answer away.
//
// Each held-out alias is classified by how it relates to the names the
// entry keeps (see aliasKind): a matcher should catch spelling variants,
// reorderings and dropped words, and no name matcher can catch a former
// name or a translation that shares no word with the rest.
//
// Leave one entry out. Every entry's primary name is screened against an
// index without that entry (again in folds of entries), as a real name that
// is not listed; whatever comes back is an alert, classified by whether the
// entry matched is plausibly the same party (it shares a name with the
// held-out entry: the same company on another list) or a different one.

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/agnivade/levenshtein"
	"golang.org/x/text/unicode/norm"

	"github.com/cslscreen/screener/internal/fixtures"
)

const (
	realFolds     = 10
	realLimit     = 10   // score.py sends no limit: the default
	realLowScore  = 0.70 // a second, lower threshold to show what lowering it would buy
	realWorkerCap = 2
	realDeepScore = 0.40 // the floor of the second look at each miss
	realDeepLimit = 200
)

// heldOut is one alias screened against an index without it.
type heldOut struct {
	rec   int    // the record it was removed from
	name  string // the alias
	kind  string // aliasKind against the names kept
	label string // the list's own label, e.g. OFAC's "aka"/"fka"
}

// outcome is what screening a held-out alias found.
type outcome struct {
	found, top1, foundLow bool
	best                  string // the best match, for the misses log
	score                 float64
	why                   string // for a miss: one of the why… constants
}

// Why a held-out alias's entry was not reported.
const (
	whyOutranked = "outranked"   // scored above the threshold, but ten others scored higher
	whyLowScore  = "low score"   // scored between realDeepScore and the threshold
	whyNotFound  = "not reached" // scored below realDeepScore, or never a candidate
)

func TestRealVariation(t *testing.T) {
	recs, _ := fullList(t)
	t.Run("CSL_aliases", func(t *testing.T) {
		res := leaveAliasOut(t, recs, nil)
		checkFloors(t, logTable(t, "CSL: leave one alias out, by kind", res, func(h heldOut) string { return h.kind }))
		logTable(t, "CSL: leave one alias out, by script", res, func(h heldOut) string { return nameScript(h.name) })
		logTable(t, "CSL: leave one alias out, by entry type", res, func(h heldOut) string { return typeOrNone(recs[h.rec].Type) })
		people := map[heldOut]outcome{}
		for h, o := range res {
			if recs[h.rec].Type == "Individual" {
				people[h] = o
			}
		}
		logTable(t, "CSL: individuals' aliases, by kind", people, func(h heldOut) string { return h.kind })
		logMisses(t, res)
	})
	t.Run("OFAC_aliases", func(t *testing.T) {
		orecs, labels := ofacRecords(t)
		res := leaveAliasOut(t, orecs, labels)
		checkFloors(t, logTable(t, "OFAC SDN 2021: leave one alias out, by kind", res, func(h heldOut) string { return h.kind }))
		logTable(t, "OFAC SDN 2021: leave one alias out, by OFAC alias type", res, func(h heldOut) string { return h.label })
		logTable(t, "OFAC SDN 2021: leave one alias out, by entry type", res, func(h heldOut) string { return typeOrNone(orecs[h.rec].Type) })
		logMisses(t, res)
	})
	t.Run("CSL_entries", func(t *testing.T) { leaveEntryOut(t, recs) })
	t.Run("dev_negatives", func(t *testing.T) {
		// Beside them, for scale: the tuning set's ordinary counterparties.
		_, ix := fullList(t)
		n, alerts := 0, 0
		for _, c := range tuningSet(t) {
			if len(c.Expect) > 0 {
				continue
			}
			n++
			if len(ix.Screen(Query{Name: c.Query.Name, NoExplanation: true})) > 0 {
				alerts++
			}
		}
		t.Logf("dev.jsonl negatives: %d names, %d alerts (%.4f)", n, alerts, ratio(alerts, n))
	})
}

func typeOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// leaveAliasOut runs the folds over recs; labels, when given, holds a label
// per record per name (parallel to Names).
func leaveAliasOut(t *testing.T, recs []Record, labels [][]string) map[heldOut]outcome {
	t.Helper()
	byID := map[string][]int{}
	for i := range recs {
		byID[recs[i].ID] = append(byID[recs[i].ID], i)
	}
	out := map[heldOut]outcome{}
	for f := 0; f < realFolds; f++ {
		// The names each id loses in this fold.
		drop := map[string]map[string]bool{}
		var cases []heldOut
		for i := range recs {
			r := &recs[i]
			for j := 1; j < len(r.Names); j++ {
				if (j-1)%realFolds != f {
					continue
				}
				if drop[r.ID] == nil {
					drop[r.ID] = map[string]bool{}
				}
				drop[r.ID][r.Names[j]] = true
				h := heldOut{rec: i, name: r.Names[j]}
				if labels != nil {
					h.label = labels[i][j]
				}
				cases = append(cases, h)
			}
		}
		if len(cases) == 0 {
			break
		}
		fold := make([]Record, len(recs))
		kept := make([][]string, len(recs)) // names kept, over every record of the id
		for i := range recs {
			fold[i] = recs[i]
			if d := drop[recs[i].ID]; d != nil {
				fold[i].Names = slices.DeleteFunc(slices.Clone(recs[i].Names), func(n string) bool { return d[n] })
			}
		}
		for i := range recs {
			for _, k := range byID[recs[i].ID] {
				kept[i] = append(kept[i], fold[k].Names...)
			}
		}
		ix := Build(fold)
		for k := range cases {
			cases[k].kind = aliasKind(cases[k].name, kept[cases[k].rec])
		}
		results := screenAll(ix, cases, func(h heldOut) string { return h.name }, realLowScore, realLimit)
		var missed []heldOut
		for k, ms := range results {
			h := cases[k]
			want := recs[h.rec].ID
			var o outcome
			for rank, m := range ms {
				if m.ID != want {
					continue
				}
				o.foundLow = true
				if m.Score >= DefaultThreshold && rank < realLimit {
					o.found = true
					o.top1 = rank == 0
				}
				o.score = m.Score
				break
			}
			if len(ms) > 0 {
				o.best = fmt.Sprintf("%q (%.3f)", ms[0].MatchedName, ms[0].Score)
			}
			out[h] = o
			if !o.found {
				missed = append(missed, h)
			}
		}
		// Why the misses were missed: a deeper look at each.
		deep := screenAll(ix, missed, func(h heldOut) string { return h.name }, realDeepScore, realDeepLimit)
		for k, ms := range deep {
			h := missed[k]
			o := out[h]
			o.why = whyNotFound
			for _, m := range ms {
				if m.ID == recs[h.rec].ID {
					o.why = whyLowScore
					if m.Score >= DefaultThreshold {
						o.why = whyOutranked
					}
					break
				}
			}
			out[h] = o
		}
	}
	return out
}

// screenAll screens each case's name at the lower threshold, on a couple
// of goroutines (the index is safe for concurrent use).
func screenAll[T any](ix *Index, cases []T, name func(T) string, minScore float64, limit int) [][]Match {
	out := make([][]Match, len(cases))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < realWorkerCap; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				out[k] = ix.Screen(Query{Name: name(cases[k]), MinScore: minScore, Limit: limit, NoExplanation: true})
			}
		}()
	}
	for k := range cases {
		next <- k
	}
	close(next)
	wg.Wait()
	return out
}

// logTable logs recall by key, and returns it.
func logTable(t *testing.T, title string, res map[heldOut]outcome, key func(heldOut) string) map[string]float64 {
	t.Helper()
	type row struct{ n, found, top1, low, outranked, lowScore, notFound int }
	rows := map[string]*row{}
	var all row
	for h, o := range res {
		k := key(h)
		r := rows[k]
		if r == nil {
			r = &row{}
			rows[k] = r
		}
		for _, r := range []*row{r, &all} {
			r.n++
			if o.found {
				r.found++
			}
			if o.top1 {
				r.top1++
			}
			if o.foundLow {
				r.low++
			}
			switch o.why {
			case whyOutranked:
				r.outranked++
			case whyLowScore:
				r.lowScore++
			case whyNotFound:
				r.notFound++
			}
		}
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return rows[keys[i]].n > rows[keys[j]].n })
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n| %-22s | %6s | %7s | %7s | %8s | %9s | %9s | %11s |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
		title, "", "n", "recall", "top1", fmt.Sprintf("at %.2f", realLowScore), "outranked", "low score", "not reached")
	line := func(k string, r *row) {
		fmt.Fprintf(&b, "| %-22s | %6d | %7.3f | %7.3f | %8.3f | %9d | %9d | %11d |\n", k, r.n, ratio(r.found, r.n), ratio(r.top1, r.n), ratio(r.low, r.n), r.outranked, r.lowScore, r.notFound)
	}
	for _, k := range keys {
		line(k, rows[k])
	}
	line("all", &all)
	t.Log(b.String())
	recall := map[string]float64{"all": ratio(all.found, all.n)}
	for k, r := range rows {
		recall[k] = ratio(r.found, r.n)
	}
	return recall
}

// realFloors are the recall floors per kind of alias: a little under what
// the matcher reached when the harness was written (docs/QUALITY.md), so
// that a change losing real variation fails here. The kinds no name
// matcher should be held to have none.
var realFloors = map[string]float64{
	kindReordered: 0.99,
	kindSame:      0.97,
	kindFewer:     0.86,
	kindSpelling:  0.80,
	kindMore:      0.75,
}

func checkFloors(t *testing.T, recall map[string]float64) {
	t.Helper()
	for k, floor := range realFloors {
		if r, ok := recall[k]; ok && r < floor {
			t.Errorf("recall on %q aliases %.3f, below its floor %.2f", k, r, floor)
		}
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func logMisses(t *testing.T, res map[heldOut]outcome) {
	t.Helper()
	n, _ := strconv.Atoi(os.Getenv("REALEVAL_MISSES"))
	if n <= 0 {
		return
	}
	per := map[string][]string{}
	for h, o := range res {
		if o.found {
			continue
		}
		per[h.kind] = append(per[h.kind], fmt.Sprintf("MISS %-16s %-11s %q -> %s; entry at %.3f", h.kind, o.why, h.name, cmp.Or(o.best, "nothing"), o.score))
	}
	for _, k := range slices.Sorted(mapsKeys(per)) {
		ms := per[k]
		sort.Strings(ms)
		for i, m := range ms {
			if i >= n {
				break
			}
			t.Log(m)
		}
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// leaveEntryOut screens every entry's primary name against an index
// without the entry.
func leaveEntryOut(t *testing.T, recs []Record) {
	t.Helper()
	type alert struct{ typ, class string }
	counts := map[alert]int{}
	perType := map[string]int{}
	var shown []string
	total := 0
	for f := 0; f < realFolds; f++ {
		var fold []Record
		var held []int
		for i := range recs {
			if i%realFolds == f {
				held = append(held, i)
			} else {
				fold = append(fold, recs[i])
			}
		}
		// Copies of a held-out entry (same id) leave with it.
		heldIDs := map[string]bool{}
		for _, i := range held {
			heldIDs[recs[i].ID] = true
		}
		fold = slices.DeleteFunc(fold, func(r Record) bool { return heldIDs[r.ID] })
		ix := Build(fold)
		results := screenAll(ix, held, func(i int) string { return recs[i].Names[0] }, realLowScore, realLimit)
		for k, ms := range results {
			r := &recs[held[k]]
			typ := typeOrNone(r.Type)
			perType[typ]++
			total++
			// At the default threshold.
			ms = slices.DeleteFunc(ms, func(m Match) bool { return m.Score < DefaultThreshold })
			if len(ms) == 0 {
				continue
			}
			class := "different party"
			if sharesName(r.Names, fold[ms[0].Record].Names) {
				class = "same name listed again"
			}
			counts[alert{typ, class}]++
			if class == "different party" {
				shown = append(shown, fmt.Sprintf("ALERT %-10s %q -> %q (%.3f)", typ, r.Names[0], ms[0].MatchedName, ms[0].Score))
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nCSL: leave one entry out (primary name screened against the list without its entry), alerts at %.2f\n", DefaultThreshold)
	fmt.Fprintf(&b, "| %-12s | %6s | %22s | %16s | %10s |\n|---|---:|---:|---:|---:|\n", "entry type", "n", "same name listed again", "different party", "rate")
	var sumSame, sumDiff int
	for _, typ := range slices.Sorted(mapsKeys(perType)) {
		same, diff := counts[alert{typ, "same name listed again"}], counts[alert{typ, "different party"}]
		sumSame += same
		sumDiff += diff
		fmt.Fprintf(&b, "| %-12s | %6d | %22d | %16d | %10.4f |\n", typ, perType[typ], same, diff, ratio(diff, perType[typ]))
	}
	fmt.Fprintf(&b, "| %-12s | %6d | %22d | %16d | %10.4f |\n", "all", total, sumSame, sumDiff, ratio(sumDiff, total))
	t.Log(b.String())
	if n, _ := strconv.Atoi(os.Getenv("REALEVAL_MISSES")); n > 0 {
		sort.Strings(shown)
		for i, s := range shown {
			if i >= n {
				break
			}
			t.Log(s)
		}
	}
}

// sharesName reports whether two entries share a name, compared as
// classification does (case, accents, punctuation and word order aside).
func sharesName(a, b []string) bool {
	keys := map[string]bool{}
	for _, n := range a {
		keys[sortedKey(n)] = true
	}
	for _, n := range b {
		if keys[sortedKey(n)] {
			return true
		}
	}
	return false
}

// Classification. It uses its own plain normalisation, not the matcher's,
// so that the classes do not move when the matcher changes.

// plainWords lower-cases, strips accents and splits at anything that is not
// a letter or digit.
func plainWords(s string) []string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case r == '\'' || r == '\u2019' || r == '.':
			// "O'Neil", "S.A.": joined, not split.
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}

func sortedKey(s string) string {
	w := plainWords(s)
	slices.Sort(w)
	return strings.Join(w, " ")
}

// plainGeneric are words that say nothing about which party a name is:
// sharing one is no overlap.
var plainGeneric = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the of and for de del la le el al y i in on at to
		co company corp corporation inc incorporated ltd limited llc plc gmbh ag sa srl sarl bv nv oy ab as spa jsc ojsc cjsc ooo zao oao pjsc pao
		group holding holdings international intl trading industries industrial enterprise enterprises services service
		general national trade technology technologies engineering import export imp exp llp lp fze fzco fzc est establishment`) {
		m[w] = true
	}
	return m
}()

// Kinds of alias, in the order they are tested.
const (
	kindSame      = "same words"              // only case, accents, punctuation or spacing differ
	kindReordered = "reordered"               // the same words in another order
	kindAcronym   = "acronym"                 // initials of another name, or its expansion
	kindFewer     = "fewer words"             // a strict subset of another name's words
	kindMore      = "more words"              // a strict superset of another name's words
	kindSpelling  = "spelling variant"        // close character by character
	kindPartial   = "partial overlap"         // shares a distinctive word, otherwise different
	kindDifferent = "different name"          // shares no distinctive word: former names, translations
	kindScript    = "other script"            // written in a non-Latin script
	kindAlone     = "no other name"           // the entry keeps no name (cannot happen: the primary stays)
	spellingMin   = 0.75                      // character similarity for a spelling variant
	acronymMaxLen = 10                        // longest acronym considered
	acronymMinLen = 2                         // shortest
	latinMaxRune  = unicode.MaxLatin1 + 0x180 // through Latin Extended-B
)

// aliasKind classifies alias against the names the entry keeps, taking the
// closest relation over them.
func aliasKind(alias string, kept []string) string {
	if len(kept) == 0 {
		return kindAlone
	}
	if nameScript(alias) == "non-Latin" {
		return kindScript
	}
	aw := plainWords(alias)
	aj := strings.Join(aw, "")
	rank := map[string]int{kindSame: 0, kindReordered: 1, kindAcronym: 2, kindFewer: 3, kindMore: 4, kindSpelling: 5, kindPartial: 6, kindDifferent: 7}
	best := kindDifferent
	for _, k := range kept {
		kw := plainWords(k)
		var kind string
		switch {
		case strings.Join(kw, "") == aj:
			kind = kindSame
		case sortedKey(alias) == sortedKey(k):
			kind = kindReordered
		case isAcronym(aj, kw) || isAcronym(strings.Join(kw, ""), aw):
			kind = kindAcronym
		case strictSubset(aw, kw):
			kind = kindFewer
		case strictSubset(kw, aw):
			kind = kindMore
		case similarity(aj, strings.Join(kw, "")) >= spellingMin || similarity(sortedJoin(aw), sortedJoin(kw)) >= spellingMin:
			kind = kindSpelling
		case sharesDistinctive(aw, kw):
			kind = kindPartial
		default:
			kind = kindDifferent
		}
		if rank[kind] < rank[best] {
			best = kind
		}
	}
	return best
}

func sortedJoin(w []string) string {
	w = slices.Clone(w)
	slices.Sort(w)
	return strings.Join(w, "")
}

// isAcronym reports whether short (one word, joined) is the initials of
// words, in order, with generic words' initials optional.
func isAcronym(short string, words []string) bool {
	n := len([]rune(short))
	if n < acronymMinLen || n > acronymMaxLen || len(words) < 2 {
		return false
	}
	rs := []rune(short)
	// Match rs against the initials, each generic word's initial optional.
	var try func(i, j int) bool
	try = func(i, j int) bool {
		if i == len(rs) {
			for ; j < len(words); j++ {
				if !plainGeneric[words[j]] {
					return false
				}
			}
			return true
		}
		if j == len(words) {
			return false
		}
		w := []rune(words[j])
		if w[0] == rs[i] && try(i+1, j+1) {
			return true
		}
		return plainGeneric[words[j]] && try(i, j+1)
	}
	return try(0, 0)
}

// strictSubset reports whether every word of a is in b and b has more.
func strictSubset(a, b []string) bool {
	if len(a) == 0 || len(a) >= len(b) {
		return false
	}
	in := map[string]int{}
	for _, w := range b {
		in[w]++
	}
	for _, w := range a {
		if in[w] == 0 {
			return false
		}
		in[w]--
	}
	return true
}

// similarity is 1 − edit distance / longer length, over runes.
func similarity(a, b string) float64 {
	la, lb := len([]rune(a)), len([]rune(b))
	if la == 0 || lb == 0 {
		return 0
	}
	return 1 - float64(levenshtein.ComputeDistance(a, b))/float64(max(la, lb))
}

// sharesDistinctive reports whether a and b share a non-generic word of at
// least three letters, or nearly share one (one edit in five letters).
func sharesDistinctive(a, b []string) bool {
	for _, x := range a {
		if plainGeneric[x] || len([]rune(x)) < 3 {
			continue
		}
		for _, y := range b {
			if plainGeneric[y] || len([]rune(y)) < 3 {
				continue
			}
			if x == y || similarity(x, y) >= 0.8 {
				return true
			}
		}
	}
	return false
}

// nameScript names a name's script: ASCII Latin, Latin with accents, or
// non-Latin (any letter beyond Latin Extended-B).
func nameScript(s string) string {
	script := "Latin (ASCII)"
	for _, r := range s {
		if !unicode.IsLetter(r) || r < 0x80 {
			continue
		}
		if r > latinMaxRune && !unicode.Is(unicode.Latin, r) {
			return "non-Latin"
		}
		script = "Latin (accented)"
	}
	return script
}

// ofacRecords reads OFAC's legacy SDN.CSV and ALT.CSV (July 2021) into
// records, with each name's label: "primary" or the alias type (aka, fka,
// nka). Countries are not read: ADD.CSV spells them out in English.
func ofacRecords(t *testing.T) ([]Record, [][]string) {
	t.Helper()
	sdn := readOFAC(t, fixtures.Path(t, "data/ofac_sdn_2021-07_moov-watchman.csv"))
	alt := readOFAC(t, fixtures.Path(t, "data/ofac_alt_2021-07_moov-watchman.csv"))
	pos := map[string]int{}
	var recs []Record
	var labels [][]string
	for _, row := range sdn {
		if len(row) < 3 {
			continue
		}
		typ := ""
		switch strings.ToLower(row[2]) {
		case "individual":
			typ = "Individual"
		case "vessel":
			typ = "Vessel"
		case "aircraft":
			typ = "Aircraft"
		case "":
			typ = "Entity"
		}
		pos[row[0]] = len(recs)
		recs = append(recs, Record{ID: row[0], Source: "OFAC SDN", Type: typ, Names: []string{row[1]}})
		labels = append(labels, []string{"primary"})
	}
	for _, row := range alt {
		if len(row) < 4 || row[3] == "" {
			continue
		}
		i, ok := pos[row[0]]
		if !ok || slices.Contains(recs[i].Names, row[3]) {
			continue
		}
		recs[i].Names = append(recs[i].Names, row[3])
		labels[i] = append(labels[i], row[2])
	}
	return recs, labels
}

// readOFAC reads one of OFAC's legacy CSV files: no header, "-0-" for
// empty, trailing spaces on fields.
func readOFAC(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var out [][]string
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for i := range row {
			row[i] = strings.TrimSpace(row[i])
			if row[i] == "-0-" {
				row[i] = ""
			}
		}
		out = append(out, row)
	}
	return out
}
