// Package lists owns the screening list data: the Entry model, the parsers for
// the Consolidated Screening List (CSL) CSV and JSON files, the sources a list
// comes from (a URL, a file, the embedded snapshot), list versions, the stores
// that hold them (Redis, memory) and the refresh that keeps them current.
package lists

import "strings"

// Entry is one row of the Consolidated Screening List. Field names follow the
// trade.gov CSL JSON so an entry round-trips through the published format.
type Entry struct {
	ID                     string    `json:"id"`
	Source                 string    `json:"source"`
	EntityNumber           string    `json:"entity_number,omitempty"`
	Type                   string    `json:"type,omitempty"`
	Programs               []string  `json:"programs,omitempty"`
	Name                   string    `json:"name"`
	Title                  string    `json:"title,omitempty"`
	AltNames               []string  `json:"alt_names,omitempty"`
	Addresses              []Address `json:"addresses,omitempty"`
	FederalRegisterNotice  string    `json:"federal_register_notice,omitempty"`
	StartDate              string    `json:"start_date,omitempty"`
	EndDate                string    `json:"end_date,omitempty"`
	StandardOrder          string    `json:"standard_order,omitempty"`
	LicenseRequirement     string    `json:"license_requirement,omitempty"`
	LicensePolicy          string    `json:"license_policy,omitempty"`
	CallSign               string    `json:"call_sign,omitempty"`
	VesselType             string    `json:"vessel_type,omitempty"`
	GrossTonnage           string    `json:"gross_tonnage,omitempty"`
	GrossRegisteredTonnage string    `json:"gross_registered_tonnage,omitempty"`
	VesselFlag             string    `json:"vessel_flag,omitempty"`
	VesselOwner            string    `json:"vessel_owner,omitempty"`
	Remarks                string    `json:"remarks,omitempty"`
	SourceListURL          string    `json:"source_list_url,omitempty"`
	SourceInformationURL   string    `json:"source_information_url,omitempty"`
	IDs                    []ID      `json:"ids,omitempty"`
	Nationalities          []string  `json:"nationalities,omitempty"`
	Citizenships           []string  `json:"citizenships,omitempty"`
	DatesOfBirth           []string  `json:"dates_of_birth,omitempty"`
	PlacesOfBirth          []string  `json:"places_of_birth,omitempty"`
}

// Address is one address of an entry. The CSL CSV carries each address as one
// comma-separated string ending with the country code; the parser keeps the
// rest of that string in Address and the code in Country.
type Address struct {
	Address    string `json:"address,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"`
}

// ID is an identifying document or attribute of an entry (passport, tax id,
// gender, secondary-sanctions note, …).
type ID struct {
	Type           string `json:"type,omitempty"`
	Number         string `json:"number,omitempty"`
	Country        string `json:"country,omitempty"`
	IssueDate      string `json:"issue_date,omitempty"`
	ExpirationDate string `json:"expiration_date,omitempty"`
}

// Names returns the primary name followed by every alias, without blanks or
// repeats.
func (e *Entry) Names() []string {
	out := make([]string, 0, 1+len(e.AltNames))
	seen := make(map[string]bool, 1+len(e.AltNames))
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			return
		}
		seen[s] = true
		out = append(out, s)
	}
	add(e.Name)
	for _, a := range e.AltNames {
		add(a)
	}
	return out
}

// Countries returns the distinct ISO alpha-2 codes the entry is tied to:
// address countries first, then nationalities and citizenships.
func (e *Entry) Countries() []string {
	var out []string
	seen := map[string]bool{}
	add := func(c string) {
		c = strings.ToUpper(strings.TrimSpace(c))
		if len(c) != 2 || seen[c] {
			return
		}
		seen[c] = true
		out = append(out, c)
	}
	for _, a := range e.Addresses {
		add(a.Country)
	}
	for _, c := range e.Nationalities {
		add(c)
	}
	for _, c := range e.Citizenships {
		add(c)
	}
	return out
}

// ListCode returns the short list code in the source's parentheses, e.g.
// "EL" for "Entity List (EL) - Bureau of Industry and Security", or the whole
// source when it has none.
func ListCode(source string) string {
	i := strings.IndexByte(source, '(')
	j := strings.IndexByte(source, ')')
	if i < 0 || j <= i+1 {
		return source
	}
	code := source[i+1 : j]
	// "Military End User (MEU) List" and "Non-SDN Menu-Based Sanctions List (NS-MBS List)".
	return strings.TrimSuffix(code, " List")
}
