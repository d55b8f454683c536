package matcher

import (
	"math"
	"slices"
	"strings"
	"sync"
)

// Index is an immutable, searchable form of a list. Build it once per list
// version; it is safe for concurrent Screen calls, and a list update builds a
// new Index that the caller swaps in atomically (e.g. with atomic.Pointer).
//
// Layout: every distinct canonical token is a vocabulary entry with its
// weight; every name is a run of vocabulary ids; each vocabulary entry has a
// postings list of the names that hold it. Retrieval maps a query word to
// vocabulary entries (exactly, by romanisation key, by consonant skeleton,
// and by SymSpell-style deletion neighbourhoods for typos), so it never scans
// the list, and scoring reads only the few names those entries point to.
type Index struct {
	recs  []recMeta
	names []nameRec
	// toks holds every name's tokens: a vocabulary id in the low bits, the
	// per-occurrence flags in the high bits.
	toks []uint32
	// texts holds each token's folded surface form, for explanations
	// (interned: the list repeats its words).
	texts []string

	vocab   []vocabEntry
	byCanon map[string]uint32
	byKey   map[string][]uint32
	bySkel  map[string][]uint32
	abjad   abjadLookup // by consonants, for Arabic and Hebrew queries
	// canonF and keyF are filters over byCanon's and byKey's words, for
	// the look-ups that mostly miss: two query words written as one, a
	// word the list lacks.
	canonF, keyF strFilter
	// spells are the written forms typos are measured against: every
	// word's canonical form, its key and the surface forms it was reached
	// from ("flores" for canonical "flore", "osama" for "usama").
	spells []spelling
	dels   delIndex
	// nbs[nbOff[v]:nbOff[v+1]] is vocabulary entry v's typo
	// neighbourhood: the spellings within one deletion of its canonical
	// form, in the order typoCands meets them, each with its similarity
	// to that form. A query word the list has is looked up here rather
	// than in dels (buildNeighbours).
	nbOff []uint32
	nbs   []neighbour
	// mates[mateOff[v]:mateOff[v+1]] is byKey[vocab[v].key]: the entries
	// a query word the list has meets by key, without the look-up.
	mateOff []uint32
	mates   []keyMate

	// facts holds what analysing each word of the list's names gives a
	// query (wordFacts), by word: factList[facts[w]].
	facts     map[string]uint32
	factList  []factRec
	factExtra []factStrings

	// korean holds the words that read as one Korean syllable, by their
	// Korean keys (korean.go).
	korean map[string][]koreanMate

	// parts are the words a query word may be cut into, with their
	// document frequencies (compounds.go, splitWord).
	parts partSet

	// postings: the names holding vocabulary entry v are
	// posts[postOff[v]:postOff[v+1]], ascending.
	postOff []uint32
	posts   []uint32
	// nameW holds what gathering and scoring read of every name, apart
	// from names' other fields: they touch one small entry per name.
	nameW []nameWeight

	// oovWeight is the weight of a word the list has never seen.
	oovWeight float32
	params    params

	pool sync.Pool
}

const (
	tokIDMask = 1<<28 - 1
	tokParen  = 1 << 31 // inside parentheses
	tokTitle  = 1 << 30 // an honorific or leading rank in this name
	// tokAcronym marks a word joined from a run of letters (the acronym
	// reading of "A.P. Finance").
	tokAcronym = 1 << 29
)

type recMeta struct {
	id        string
	typ       string // lower case
	countries []string
	names     []string
}

type nameRec struct {
	rec     uint32
	nameIdx uint16
	sub     uint8   // 0: the whole name; k: its k-th part around "a.k.a."
	n       uint16  // tokens
	off     uint32  // into toks
	wsum    float32 // weight of the name's ordinary words (not legal forms, function words or titles): what estimates compare
	person  bool    // the record is an individual
	// lettered is set on the plain reading of a name whose acronym
	// reading is indexed too (addReadings), acronym on that reading.
	lettered, acronym bool
}

// nameWeight is what gathering and scoring read of a nameRec.
type nameWeight struct {
	wsum   float32
	off    uint32
	n      uint16
	person bool
}

type spelling struct {
	s   string
	id  uint32 // vocabulary entry
	key bool   // a romanisation key rather than a spelling
}

type vocabEntry struct {
	canon   string
	key     string
	kind    kind
	generic bool
	orgType bool    // one of orgTypeWords: weighs least of the generic words
	df      int32   // records holding it
	idf     float32 // inverse document frequency, capped for generic words (0 for non-words); the evidence a match on it gives
	w       float32
}

// Stats describes an Index.
type Stats struct {
	Records      int // records given to Build
	Names        int // names indexed, including the parts of names split at "a.k.a."
	Tokens       int // token occurrences over all names
	Vocabulary   int // distinct canonical tokens
	Postings     int // name entries over all postings lists
	DeletionKeys int // entries in the typo (deletion-neighbourhood) index
}

// Len returns the number of records the Index was built from.
func (ix *Index) Len() int {
	if ix == nil {
		return 0
	}
	return len(ix.recs)
}

// Stats returns the Index's size figures.
func (ix *Index) Stats() Stats {
	if ix == nil {
		return Stats{}
	}
	return Stats{
		Records:      len(ix.recs),
		Names:        len(ix.names),
		Tokens:       len(ix.toks),
		Vocabulary:   len(ix.vocab),
		Postings:     len(ix.posts),
		DeletionKeys: ix.dels.size(),
	}
}

// Build indexes records. Records keep their position: Match.Record is the
// index into records. Build does not keep or modify the slice.
func Build(records []Record) *Index {
	ix := &Index{
		byCanon: map[string]uint32{},
		byKey:   map[string][]uint32{},
		bySkel:  map[string][]uint32{},
		params:  defaultParams,
	}
	ix.recs = make([]recMeta, len(records))
	an := analyser{memo: newAnalyserMemo()}
	recOfVocab := []int32{}
	b := &builder{texts: map[string]uint32{}, intern: map[string]string{}, words: map[string]struct{}{}, plain: map[uint32]bool{}, acronym: map[uint32]bool{}}
	for r, rec := range records {
		m := recMeta{id: rec.ID, typ: strings.ToLower(strings.TrimSpace(rec.Type)), names: slices.Clone(rec.Names)}
		for _, c := range rec.Countries {
			m.countries = append(m.countries, strings.ToUpper(strings.TrimSpace(c)))
		}
		ix.recs[r] = m
		for k, name := range rec.Names {
			if k > math.MaxUint16 {
				break
			}
			ix.addReadings(&an, b, uint32(r), uint16(k), 0, name, &recOfVocab)
			for p, part := range subNames(name) {
				if p+1 > math.MaxUint8 {
					break
				}
				ix.addReadings(&an, b, uint32(r), uint16(k), uint8(p+1), part, &recOfVocab)
			}
		}
	}
	ix.markPersons()
	ix.weigh()
	ix.buildPostings()
	ix.buildLookups(b)
	ix.buildFacts(b)
	ix.buildKorean()
	ix.pool.New = func() any { return ix.newScratch() }
	return ix
}

// addName appends one name's tokens. recOfVocab tracks the last record that
// counted each vocabulary entry, so document frequency counts records, not
// aliases (an entity with twelve aliases holding "Kaspersky" counts once).
// builder is Build's working state.
type builder struct {
	texts     map[string]uint32 // surface form -> vocabulary entry
	textOrder []string
	intern    map[string]string
	words     map[string]struct{} // every word of every name, as split
	// plain and acronym mark the vocabulary entries met as words and as
	// acronyms joined from letters: only the first may be a part of a
	// cut word.
	plain, acronym map[uint32]bool
}

// addReadings adds a name, and when it is not an individual's and holds a
// run of single letters ("N.I.I. Argon"), its acronym reading as well
// ("NII Argon"), unless the two read the same.
func (ix *Index) addReadings(an *analyser, b *builder, rec uint32, nameIdx uint16, sub uint8, name string, recOfVocab *[]int32) {
	n := len(ix.names)
	ix.addName(an, b, rec, nameIdx, sub, name, recOfVocab)
	if len(ix.names) == n || !an.letters || ix.recs[rec].typ == "individual" {
		return
	}
	an.sp.acronyms = true
	ix.addName(an, b, rec, nameIdx, sub, name, recOfVocab)
	an.sp.acronyms = false
	if len(ix.names) != n+2 {
		return
	}
	a, c := ix.names[n], ix.names[n+1]
	if slices.Equal(ix.toks[a.off:a.off+uint32(a.n)], ix.toks[c.off:c.off+uint32(c.n)]) {
		// The same tokens ("S.A." is a legal form either way).
		ix.toks, ix.texts, ix.names = ix.toks[:c.off], ix.texts[:c.off], ix.names[:n+1]
		return
	}
	ix.names[n].lettered, ix.names[n+1].acronym = true, true
}

func (ix *Index) addName(an *analyser, b *builder, rec uint32, nameIdx uint16, sub uint8, name string, recOfVocab *[]int32) {
	toks := an.analyse(name)
	for _, w := range an.texts {
		b.words[w] = struct{}{}
	}
	if len(toks) == 0 || len(toks) > math.MaxUint16 {
		return
	}
	nr := nameRec{rec: rec, nameIdx: nameIdx, sub: sub, off: uint32(len(ix.toks)), n: uint16(len(toks)), person: ix.recs[rec].typ == "individual"}
	for _, t := range toks {
		id, ok := ix.byCanon[t.canon]
		if !ok {
			id = uint32(len(ix.vocab))
			ix.byCanon[t.canon] = id
			k := t.kind
			if k == kindTitle {
				k = kindWord // a title's kind depends on its place; the vocabulary keeps the word
			}
			ix.vocab = append(ix.vocab, vocabEntry{canon: t.canon, key: t.key, kind: k, generic: genericCanon[t.canon] || orgTypeCanon[t.canon], orgType: orgTypeCanon[t.canon]})
			*recOfVocab = append(*recOfVocab, -1)
		}
		if (*recOfVocab)[id] != int32(rec) {
			(*recOfVocab)[id] = int32(rec)
			ix.vocab[id].df++
		}
		if t.acronym {
			b.acronym[id] = true
		} else {
			b.plain[id] = true
		}
		v := id
		if t.paren {
			v |= tokParen
		}
		if t.kind == kindTitle {
			v |= tokTitle
		}
		if t.acronym {
			v |= tokAcronym
		}
		ix.toks = append(ix.toks, v)
		txt, ok := b.intern[t.text]
		if !ok {
			txt = t.text
			b.intern[txt] = txt
		}
		ix.texts = append(ix.texts, txt)
		if t.kind == kindWord {
			if t.text != t.canon && !t.expanded && !strings.Contains(t.text, " ") {
				if _, ok := b.texts[t.text]; !ok {
					b.texts[t.text] = id
					b.textOrder = append(b.textOrder, t.text)
				}
			}
		}
	}
	ix.names = append(ix.names, nr)
}

// genericCanon and orgTypeCanon are genericWords and orgTypeWords with
// their canonical forms added.
var (
	genericCanon = withCanonical(genericWords)
	orgTypeCanon = withCanonical(orgTypeWords)
)

func withCanonical[V any](words map[string]V) map[string]bool {
	m := map[string]bool{}
	for w := range words {
		c, _ := canonicalWord(w)
		m[c] = true
		m[w] = true
	}
	return m
}

// weigh sets every vocabulary entry's weight from its rarity, and every
// name's total weight.
func (ix *Index) weigh() {
	p := &ix.params
	// A short list says little about how common a word is: weigh words as
	// if the list had at least minRecords records, so that in a list of
	// ten "Kaspersky" is still a rare word and an unknown word still
	// outweighs it only modestly.
	n := max(float64(len(ix.recs)), p.minRecords)
	for i := range ix.vocab {
		v := &ix.vocab[i]
		v.idf = p.idf(v, n)
		v.w = p.weight(v, n)
	}
	ix.oovWeight = p.wordWeight(math.Log(1+n/p.oovDF), false)
	for i := range ix.names {
		nr := &ix.names[i]
		var s float32
		for _, t := range ix.toks[nr.off : nr.off+uint32(nr.n)] {
			if ix.vocab[t&tokIDMask].kind == kindWord && t&tokTitle == 0 {
				s += ix.tokWeight(t)
			}
		}
		nr.wsum = s
	}
	ix.nameW = make([]nameWeight, len(ix.names))
	for i, nr := range ix.names {
		ix.nameW[i] = nameWeight{wsum: nr.wsum, off: nr.off, n: nr.n, person: nr.person}
	}
}

// tokWeight is the weight of one token occurrence in a name.
func (ix *Index) tokWeight(t uint32) float32 {
	v := &ix.vocab[t&tokIDMask]
	w := v.w
	if t&tokTitle != 0 {
		w = ix.params.titleWeight
	}
	if t&tokParen != 0 {
		w *= ix.params.parenFactor
	}
	return w
}

func (ix *Index) buildPostings() {
	counts := make([]uint32, len(ix.vocab)+1)
	last := make([]int32, len(ix.vocab))
	for i := range last {
		last[i] = -1
	}
	for ni, nr := range ix.names {
		for _, t := range ix.toks[nr.off : nr.off+uint32(nr.n)] {
			id := t & tokIDMask
			if last[id] != int32(ni) {
				last[id] = int32(ni)
				counts[id+1]++
			}
		}
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	ix.postOff = counts
	ix.posts = make([]uint32, counts[len(counts)-1])
	fill := make([]uint32, len(ix.vocab))
	copy(fill, counts[:len(ix.vocab)])
	for i := range last {
		last[i] = -1
	}
	for ni, nr := range ix.names {
		for _, t := range ix.toks[nr.off : nr.off+uint32(nr.n)] {
			id := t & tokIDMask
			if last[id] != int32(ni) {
				last[id] = int32(ni)
				ix.posts[fill[id]] = uint32(ni)
				fill[id]++
			}
		}
	}
}

// buildLookups builds the key, skeleton and typo lookups over ordinary words.
func (ix *Index) buildLookups(b *builder) {
	var kb, sb []byte
	for id := range ix.vocab {
		v := &ix.vocab[id]
		if v.kind != kindWord {
			continue
		}
		ix.byKey[v.key] = append(ix.byKey[v.key], uint32(id))
		kb = append(kb[:0], v.key...)
		if sk := skeleton(sb, kb); len(sk) >= ix.params.minSkeleton && len(v.key) >= ix.params.minSkeletonWord {
			ix.bySkel[string(sk)] = append(ix.bySkel[string(sk)], uint32(id))
			sb = sk
		}
		ix.spells = append(ix.spells, spelling{s: v.canon, id: uint32(id)}, spelling{s: v.key, id: uint32(id), key: true})
	}
	for _, t := range b.textOrder {
		id := b.texts[t]
		ix.spells = append(ix.spells, spelling{s: t, id: id})
		// The surface form's key too: "Banco", canonically "bank", is
		// what "Banko" transliterates.
		kb = romanKey(kb, t)
		if k := string(kb); k != ix.vocab[id].key && !slices.Contains(ix.byKey[k], id) {
			ix.byKey[k] = append(ix.byKey[k], id)
		}
	}
	parts := make(map[string]int32, len(ix.vocab)+len(b.textOrder))
	for id, v := range ix.vocab {
		if v.kind != kindLegal && (b.plain[uint32(id)] || !b.acronym[uint32(id)]) {
			parts[v.canon] = v.df
		}
	}
	for _, t := range b.textOrder {
		parts[t] = max(parts[t], ix.vocab[b.texts[t]].df)
	}
	for w := range multiWords {
		if _, ok := parts[w]; !ok {
			parts[w] = 1
		}
	}
	// Legal forms are common: a cut at one is likely ("OOO"+"Bitreit",
	// "Obshchestvo"+"Kronshtadt").
	for _, f := range legalForms {
		for _, list := range [][]string{f.any, f.edge, f.tail} {
			for _, form := range list {
				words := strings.Fields(form)
				for _, w := range words {
					if len(words) == 1 || len(w) >= 4 {
						parts[w] = max(parts[w], int32(len(ix.recs)/20+1))
					}
				}
			}
		}
	}
	ix.canonF = newStrFilter(ix.byCanon)
	ix.keyF = newStrFilter(ix.byKey)
	ix.parts = partSet{df: parts}
	ix.parts.seal()
	ix.dels = buildDelIndex(func(fn func(h uint64, id uint32)) {
		for k, sp := range ix.spells {
			seed, limit := seedCanon, 2
			if sp.key {
				seed, limit = seedKey, 1
			}
			forDeletions(sp.s, seed, limit, func(h uint64) { fn(h, uint32(k)) })
		}
	})
	ix.buildNeighbours()
	ix.mateOff = make([]uint32, len(ix.vocab)+1)
	for v := range ix.vocab {
		for _, id := range ix.byKey[ix.vocab[v].key] {
			ix.mates = append(ix.mates, keyMate{id: id, n: uint32(len(ix.vocab[id].canon))})
		}
		ix.mateOff[v+1] = uint32(len(ix.mates))
	}
	ix.mates = slices.Clip(ix.mates)
}

// keyMate is a vocabulary entry and the length of its canonical form.
type keyMate struct {
	id, n uint32
}

// neighbour is one spelling in a vocabulary entry's typo neighbourhood.
type neighbour struct {
	spell uint32  // into spells
	id    uint32  // the spelling's vocabulary entry
	sim   float32 // typo similarity to the entry's canonical form; -1 for a romanisation key, which the query's key is measured against
}

// buildNeighbours collects every vocabulary entry's one-deletion typo
// neighbourhood, as typoCands would for a query word the list has, and
// measures it against the entry's canonical form. A query word that is a
// listed word, the commonest kind, then costs no hashing, no deletion
// lookups and no edit distances against the canonical form.
func (ix *Index) buildNeighbours() {
	p := &ix.params
	seen := make([]uint32, len(ix.spells))
	var hs []uint64
	var hits []uint32
	row := make([]int, 3*64)
	ix.nbOff = make([]uint32, len(ix.vocab)+1)
	for v := range ix.vocab {
		w := ix.vocab[v].canon
		hs = appendDeletions(hs[:0], w, seedCanon, 1)
		hits = ix.dels.appendHits(hits[:0], hs)
		for _, k := range hits {
			if seen[k] == uint32(v)+1 {
				continue
			}
			seen[k] = uint32(v) + 1
			sp := &ix.spells[k]
			nb := neighbour{spell: k, id: sp.id, sim: -1}
			if !sp.key {
				nb.sim = 0
				if me := maxEdits(min(letters(w), letters(sp.s))); me > 0 {
					if d := editDistance(w, sp.s, me, row); d <= me {
						nb.sim = p.typoSim(d, max(letters(w), letters(sp.s)))
					}
				}
			}
			ix.nbs = append(ix.nbs, nb)
		}
		ix.nbOff[v+1] = uint32(len(ix.nbs))
	}
	ix.nbs = slices.Clip(ix.nbs)
}

// buildFacts reads every word of the list's names as a query would
// (analyser.readWord), so that a query reads only the words the list lacks.
func (ix *Index) buildFacts(b *builder) {
	s := ix.newScratch().(*scratch)
	ix.bindAnalyser(s)
	ix.facts = make(map[string]uint32, len(b.words))
	ix.factList = make([]factRec, 0, len(b.words))
	words := make([]string, 0, len(b.words))
	for w := range b.words {
		words = append(words, w)
	}
	slices.Sort(words) // the same index from the same list
	// The keys repeat, and most are vocabulary keys: keep one copy of each.
	keys := make(map[string]string, len(ix.vocab))
	for _, v := range ix.vocab {
		keys[v.key] = v.key
	}
	for _, w := range words {
		s.typoMemo, s.typoMemoHits = s.typoMemo[:0], s.typoMemoHits[:0]
		s.an.dm.reset()
		f, ok := s.an.readWord(w)
		if !ok {
			continue
		}
		for _, k := range []*string{&f.key, &f.canonKey} {
			if c, ok := keys[*k]; ok {
				*k = c
			} else {
				keys[*k] = *k
			}
		}
		r := factRec{extra: -1, canonID: -1, how: f.how, legalAlt: f.legalAlt, known: f.known, plain: f.plain, kind: f.kind}
		if id, ok := ix.byCanon[f.canon]; ok {
			r.canonID = int32(id) + 1
		}
		// Most words' canonical form is a vocabulary entry, whose key is
		// the word's own: the entry holds the strings.
		if r.canonID < 0 || f.canonKey != ix.vocab[r.canonID-1].key || f.key != f.canonKey {
			r.extra = int32(len(ix.factExtra))
			ix.factExtra = append(ix.factExtra, factStrings{key: f.key, canon: f.canon, canonKey: f.canonKey})
		}
		ix.facts[w] = uint32(len(ix.factList))
		ix.factList = append(ix.factList, r)
	}
	ix.factList = slices.Clip(ix.factList)
	ix.factExtra = slices.Clip(ix.factExtra)
}

// factRec is a wordFacts as the Index keeps it: its strings are its
// vocabulary entry's, or in factExtra.
type factRec struct {
	extra         int32 // into factExtra, or -1
	canonID       int32
	how, legalAlt uint8
	known, plain  bool
	kind          kind
}

type factStrings struct {
	key, canon, canonKey string
}

// loadFacts fills in what Build read of w and reports whether it had.
func (ix *Index) loadFacts(w string, f *wordFacts) bool {
	i, ok := ix.facts[w]
	if !ok {
		return false
	}
	r := &ix.factList[i]
	if r.extra >= 0 {
		e := &ix.factExtra[r.extra]
		f.key, f.canon, f.canonKey = e.key, e.canon, e.canonKey
	} else {
		v := &ix.vocab[r.canonID-1]
		f.key, f.canon, f.canonKey = v.key, v.canon, v.key
	}
	f.canonID, f.how, f.legalAlt, f.known, f.plain, f.kind = r.canonID, r.how, r.legalAlt, r.known, r.plain, r.kind
	return true
}
