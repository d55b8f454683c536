package matcher

import "strings"

// Untyped entries (the whole Entity List) are read as organisations unless
// the name is plainly a person's; such an entry gets the scoring of an
// individual (a middle name the customer leaves out costs less, an initial
// stands for a given name, Korean syllables are read alike).
//
// A name is plainly a person's when it has two to five ordinary words and
// no legal form, business word or organisation word, and its words are
// people's words: at least two of them are found in the list's individuals'
// names far more often than in organisations' names (the list's own
// dictionary of given and family names), or one is and the others are in
// no organisation's name, or the name is written "SURNAME, Given" or with
// initials.

// personWordRatio is how many times more often a people's word is found in
// individuals' records than in organisations'.
const personWordRatio = 3

// markPersons sets the person flag on the names of untyped records whose
// primary name is plainly a person's.
func (ix *Index) markPersons() {
	nv := len(ix.vocab)
	ind := make([]int32, nv) // individuals' records holding the word
	org := make([]int32, nv) // organisations', vessels' and aircraft's
	last := make([]int32, nv)
	for i := range last {
		last[i] = -1
	}
	for _, nr := range ix.names {
		typ := ix.recs[nr.rec].typ
		if typ == "" {
			continue
		}
		for _, t := range ix.toks[nr.off : nr.off+uint32(nr.n)] {
			id := t & tokIDMask
			if last[id] == int32(nr.rec) {
				continue
			}
			last[id] = int32(nr.rec)
			if typ == "individual" {
				ind[id]++
			} else {
				org[id]++
			}
		}
	}
	people := func(id uint32) bool {
		return ind[id] >= 2 && ind[id] >= personWordRatio*org[id]
	}
	orgWord := func(id uint32) bool { return org[id] > 0 }
	person := make([]bool, len(ix.recs))
	for _, nr := range ix.names {
		if nr.nameIdx != 0 || nr.sub != 0 || nr.acronym || ix.recs[nr.rec].typ != "" {
			continue
		}
		person[nr.rec] = ix.plainlyPerson(ix.toks[nr.off:nr.off+uint32(nr.n)], ix.recs[nr.rec].names[0], people, orgWord)
	}
	for i := range ix.names {
		if person[ix.names[i].rec] {
			ix.names[i].person = true
		}
	}
}

// plainlyPerson reports whether a name of tokens toks, written as name,
// is plainly a person's.
func (ix *Index) plainlyPerson(toks []uint32, name string, people, orgWord func(uint32) bool) bool {
	words, peoples, initials, orgs := 0, 0, 0, 0
	for _, t := range toks {
		v := &ix.vocab[t&tokIDMask]
		switch v.kind {
		case kindLegal:
			return false
		case kindStop:
			continue
		}
		if v.generic || v.orgType || len(v.canon) > 0 && v.canon[0] >= '0' && v.canon[0] <= '9' {
			return false
		}
		if len(v.canon) == 1 {
			initials++
			continue
		}
		words++
		switch id := t & tokIDMask; {
		case people(id):
			peoples++
		case orgWord(id):
			orgs++
		}
	}
	if words == 0 || words+initials < 2 || words > 5 {
		return false
	}
	if peoples >= 2 {
		return true
	}
	// One people's word, and the others never in an organisation's name
	// (family names the list has for no one else), or initials, or the
	// "SURNAME, Given" form.
	return peoples == 1 && (orgs == 0 || initials > 0 || surnameFirst(name))
}

// surnameFirst reports a name written "SURNAME, Given": one comma, an
// upper-case family name of one to three words before it, one to three
// words after it that are not all upper case.
func surnameFirst(name string) bool {
	before, after, ok := strings.Cut(name, ",")
	if !ok || strings.Contains(after, ",") {
		return false
	}
	fb, fa := strings.Fields(before), strings.Fields(after)
	if len(fb) == 0 || len(fb) > 3 || len(fa) == 0 || len(fa) > 3 {
		return false
	}
	return before == strings.ToUpper(before) && after != strings.ToUpper(after)
}
