package screening

import (
	"bytes"
	"encoding/json"

	"github.com/cslscreen/screener/lists"
)

// Facts are the list facts of an entry that an answer carries: what a
// compliance officer acts on besides the name. They are spelled out here
// once; screening answers, batch results and the hand-written JSON of the
// service all take them from here.
type Facts struct {
	Type                  string          `json:"type"`
	Programs              []string        `json:"programs"`
	Addresses             []lists.Address `json:"addresses"`
	FederalRegisterNotice string          `json:"federal_register_notice"`
	StartDate             string          `json:"start_date"`
	EndDate               string          `json:"end_date"`
	LicenseRequirement    string          `json:"license_requirement"`
	LicensePolicy         string          `json:"license_policy"`
	Remarks               string          `json:"remarks"`
	SourceListURL         string          `json:"source_list_url"`
	SourceInformationURL  string          `json:"source_information_url"`
}

// FactsOf returns e's facts, with empty lists rather than nil ones (an
// answer shows [] rather than null).
func FactsOf(e *lists.Entry) Facts {
	f := Facts{
		Type: e.Type, Programs: e.Programs, Addresses: e.Addresses,
		FederalRegisterNotice: e.FederalRegisterNotice, StartDate: e.StartDate, EndDate: e.EndDate,
		LicenseRequirement: e.LicenseRequirement, LicensePolicy: e.LicensePolicy, Remarks: e.Remarks,
		SourceListURL: e.SourceListURL, SourceInformationURL: e.SourceInformationURL,
	}
	if f.Programs == nil {
		f.Programs = []string{}
	}
	if f.Addresses == nil {
		f.Addresses = []lists.Address{}
	}
	return f
}

// entryHead is the part of a Match that depends on the entry alone and
// comes before matched_name and score, in the order Match declares it.
type entryHead struct {
	Source string `json:"source"`
	List   string `json:"list"`
	Name   string `json:"name"`
}

// EncodedFacts is an entry's head (source, list, name) and Facts as JSON
// object members without braces. An entry's facts do not change while its
// list version is served, so they are encoded once per snapshot; the
// service's hand-written response JSON appends them as they are.
type EncodedFacts struct {
	Head, Rest []byte
}

// encodeFacts encodes every entry of l.
func encodeFacts(l *lists.List) []EncodedFacts {
	out := make([]EncodedFacts, len(l.Entries))
	for i := range l.Entries {
		e := &l.Entries[i]
		out[i] = EncodedFacts{
			Head: membersOf(entryHead{Source: e.Source, List: lists.ListCode(e.Source), Name: e.Name}),
			Rest: membersOf(FactsOf(e)),
		}
	}
	return out
}

// membersOf encodes v (a struct of plain strings and slices, which cannot
// fail) without HTML escaping, and drops the braces.
func membersOf(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return bytes.Clone(b[1 : len(b)-1])
}
