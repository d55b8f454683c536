package matcher

import "testing"

// The three Kaspersky entries added to the Entity List on 2024-06-24, as the
// CSL carries them (see ../shared/data/KASPERSKY.md), with a few unrelated
// entries so that a query has something to be confused with.
const (
	idAOKasperskyLab   = "88a5a8ac99fb224dc40025c5c2abb25919f56d25bd1f0c766af312b1"
	idKasperskyGroup   = "3602e06799bcd90808e02b813332f0f97ec0d66bce1e87549d5a3450"
	idKasperskyLabsLtd = "8e2975db722f844da153792847843a140517b2fb476b1e84311cd739"
)

func kasperskyRecords() []Record {
	el := "Entity List (EL) - Bureau of Industry and Security"
	return []Record{
		{ID: idAOKasperskyLab, Source: el, Countries: []string{"RU"}, Names: []string{
			"AO Kaspersky Lab", "Aktsionernoe Obshchestvo Laboratoriya Kasperskogo", "AO Kaspersky Laboratory",
			"AO Laboratoriya Kasperskogo", "Joint Stock Company Kaspersky Lab", "JSC Kaspersky Lab", "Kaspersky",
			"Kaspersky Lab CJSC", "Kaspersky Lab ZAO", "Kaspersky Lab", "Kaspersky Laboratory", "Kaspersky Labs",
			"Kaspersky’s Laboratory"}},
		{ID: idKasperskyGroup, Source: el, Countries: []string{"RU"}, Names: []string{
			"OOO Kaspersky Group", "Kaspersky Group", "Kaspersky Group Limited", "Kaspersky Group Limited Liability Company",
			"Kaspersky Group LLC", "Kaspersky Group Ltd", "Obshchestvo S Ogranichennoi Otvetstvennostyu Gruppa Kompanii Kasperskogo",
			"OOO Gruppa Kompanii Kasperskogo", "OOO Kaspersky Group of Companies"}},
		{ID: idKasperskyLabsLtd, Source: el, Countries: []string{"GB"}, Names: []string{
			"Kaspersky Labs Limited", "Kaspersky Labs", "Kaspersky Labs Ltd"}},
		{ID: "d1", Source: "Specially Designated Nationals (SDN) - Treasury Department", Type: "Entity", Countries: []string{"AE"},
			Names: []string{"Global Vision Trading LLC", "Global Vision General Trading"}},
		{ID: "d2", Source: "Specially Designated Nationals (SDN) - Treasury Department", Type: "Individual", Countries: []string{"RU"},
			Names: []string{"KASPAROV, Igor Petrovich"}},
		{ID: "d3", Source: "Specially Designated Nationals (SDN) - Treasury Department", Type: "Entity", Countries: []string{"IR"},
			Names: []string{"Bank Melli Iran", "Melli Bank of Iran"}},
		{ID: "d4", Source: "Entity List (EL) - Bureau of Industry and Security", Countries: []string{"CN"},
			Names: []string{"Chess Technology Foundation Co., Ltd."}},
		{ID: "d5", Source: "Entity List (EL) - Bureau of Industry and Security", Countries: []string{"US"},
			Names: []string{"America Trading Corporation Group"}},
	}
}

func idsOf(ms []Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func TestKasperskyLabFindsAllThree(t *testing.T) {
	ix := Build(kasperskyRecords())
	ms := ix.Screen(Query{Name: "Kaspersky Lab"})
	got := map[string]float64{}
	for _, m := range ms {
		got[m.ID] = m.Score
	}
	for _, id := range []string{idAOKasperskyLab, idKasperskyGroup, idKasperskyLabsLtd} {
		if _, ok := got[id]; !ok {
			t.Fatalf("Kaspersky Lab: %s missing from %v", id, idsOf(ms))
		}
	}
	if len(ms) != 3 {
		t.Errorf("Kaspersky Lab: want exactly the three Kaspersky records, got %v", idsOf(ms))
	}
	if got[idKasperskyGroup] >= got[idAOKasperskyLab] || got[idKasperskyGroup] >= got[idKasperskyLabsLtd] {
		t.Errorf("Kaspersky Lab: AO Kaspersky Lab (%.3f) and Kaspersky Labs Limited (%.3f) should outscore OOO Kaspersky Group (%.3f)",
			got[idAOKasperskyLab], got[idKasperskyLabsLtd], got[idKasperskyGroup])
	}
	if ms[0].Score != 1 {
		t.Errorf("Kaspersky Lab: best score %.3f, want 1 (an exact alias)", ms[0].Score)
	}
}

func TestKasperskyVariants(t *testing.T) {
	ix := Build(kasperskyRecords())
	for _, q := range []string{
		"Kaspersky Lab", "Kaspersky Lab JSC", "Kasperskiy Labs Ltd", "Лаборатория Касперского", "АО Лаборатория Касперского",
		"KasperskyLab", "Kaspersky-Lab", "Kaspersky Trading", "KASPERSKY LAB", "kaspersky lab.", "Kaspersky’s Lab",
		"Kasperksy Lab", "Kaspresky Laboratory", "Kasperski Lab", "Kaspersky Laboratories", "AO Kaspersky Lab (Russia)",
		"Лаборатория Касперского АО", "Kasp3rsky Lab", "Kaspersky Lab, Inc.", "Kaspersky Group of Companies",
		"Gruppa Kompanii Kasperskogo", "Kaspersky Labs Limited (UK)", "Kaspersky Laboratory ZAO", "Mr Kaspersky Lab",
	} {
		ms := ix.Screen(Query{Name: q})
		found := false
		for _, m := range ms {
			if m.ID == idAOKasperskyLab || m.ID == idKasperskyGroup || m.ID == idKasperskyLabsLtd {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: no Kaspersky record among %v", q, idsOf(ms))
		}
	}
}

func TestKasperskyLookalikesReturnNothing(t *testing.T) {
	ix := Build(kasperskyRecords())
	for _, q := range []string{
		"Kasparov Chess Foundation", "Global Trading LLC", "Bank of America Corporation", "Lab", "LLC", "OOO",
		"Kaspersky Chess", "Trading Group", "Joint Stock Company", "Limited Liability Company", "America Trading",
	} {
		if ms := ix.Screen(Query{Name: q}); len(ms) > 0 && q != "Kaspersky Chess" {
			t.Errorf("%q: want no match, got %q (%.3f: %s)", q, ms[0].MatchedName, ms[0].Score, ms[0].Explanation.Summary)
		}
	}
}
