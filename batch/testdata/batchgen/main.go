// Command batchgen builds the large CSV used to measure batch screening, and
// checks a results file against it. The generated file is not committed.
//
//	go run ./batch/testdata/batchgen -rows 1000000 -o /tmp/batch-1m.csv
//	go run ./batch/testdata/batchgen -check /tmp/batch-1m.results.csv -manifest /tmp/batch-1m.csv.manifest.json
//
// Rows are the names of ../shared/eval/dev.jsonl (real listed names and their
// variants, and real unlisted counterparties) mixed with generated company and
// person names, a handful of Kaspersky rows, and a few broken lines of every
// kind the reader must report (an unclosed quote, a wrong field count,
// invalid UTF-8, an over-long name, an empty name), plus blank lines, which
// are not rows. The manifest lists the line numbers of the broken and the
// Kaspersky rows, so -check can prove the results hold every row once, in
// order, with the broken lines reported and the Kaspersky rows matched.
package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
)

type manifest struct {
	Rows      int            `json:"rows"`      // data rows (results expected)
	Lines     int            `json:"lines"`     // physical lines, header included
	Broken    map[int]string `json:"broken"`    // line → kind
	Kaspersky []int          `json:"kaspersky"` // lines
	Blank     []int          `json:"blank"`     // lines
}

func main() {
	rows := flag.Int("rows", 1_000_000, "data rows to write")
	out := flag.String("o", "batch.csv", "output CSV")
	dev := flag.String("dev", "../shared/eval/dev.jsonl", "tuning set to take names from")
	seed := flag.Uint64("seed", 1, "random seed")
	check := flag.String("check", "", "check this results CSV against -manifest instead of generating")
	man := flag.String("manifest", "", "manifest path (default: -o + .manifest.json)")
	namesOut := flag.String("names", "", "also write the good rows here as POST /v1/screen bodies, one a line (for wrk)")
	flag.Parse()
	if *check != "" {
		if err := verify(*check, *man); err != nil {
			fmt.Fprintln(os.Stderr, "batchgen: FAIL:", err)
			os.Exit(1)
		}
		return
	}
	if *man == "" {
		*man = *out + ".manifest.json"
	}
	if err := generate(*rows, *out, *man, *dev, *namesOut, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "batchgen:", err)
		os.Exit(1)
	}
}

var (
	first   = strings.Fields("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Wei Fang Hiroshi Yuki Olga Ivan Ahmed Fatima Carlos Lucia Pierre Amelie Hans Greta Raj Priya Kwame Ama Lars Ingrid")
	last    = strings.Fields("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Chen Wang Tanaka Suzuki Petrov Ivanova Hassan Khan Silva Dubois Muller Schmidt Patel Sharma Mensah Larsen Nielsen Rossi Bianchi")
	words   = strings.Fields("Blue River Summit Harbor Northern Golden Pacific Atlantic Green Valley Silver Oak Maple Cedar Granite Eagle Falcon Crescent Meridian Horizon Pioneer Liberty Heritage Sterling Cascade Prairie Coastal Alpine Lakeside Redwood Orchard Beacon Keystone Evergreen Riverside Westfield Ironwood Brightwater Copper")
	trades  = strings.Fields("Logistics Foods Textiles Plastics Software Consulting Machinery Farms Pharma Packaging Builders Motors Electric Paper Timber Glass Dairy Marine Optics Ceramics")
	forms   = []string{"Ltd", "LLC", "Inc", "GmbH", "S.A.", "B.V.", "Pty Ltd", "AB", "Oy", "S.r.l.", "Co.", "PLC", ""}
	country = strings.Fields("US GB DE FR NL SE FI IT ES CA AU JP CN IN BR MX ZA NG KE AE")
	kasp    = []string{"Kaspersky Lab", "AO Kaspersky Lab", "Kaspersky Labs Limited", "OOO Kaspersky Group", "Kaspersky Laboratory", "JSC Kaspersky Lab"}
)

func generate(n int, out, manPath, dev, namesOut string, seed uint64) error {
	var names []string
	if f, err := os.Open(dev); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var d struct {
				Query struct{ Name string } `json:"query"`
			}
			if json.Unmarshal(sc.Bytes(), &d) == nil && d.Query.Name != "" {
				names = append(names, d.Query.Name)
			}
		}
		f.Close()
	} else {
		fmt.Fprintf(os.Stderr, "batchgen: %v; using generated names only\n", err)
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	cw := csv.NewWriter(w)
	m := manifest{Broken: map[int]string{}}
	var nw *bufio.Writer
	if namesOut != "" {
		nf, err := os.Create(namesOut)
		if err != nil {
			return err
		}
		defer nf.Close()
		nw = bufio.NewWriter(nf)
		defer nw.Flush()
	}
	line := 1
	cw.Write([]string{"reference", "name", "country", "type", "segment"})
	cw.Flush()
	// Fixed positions for the special rows, spread over the file.
	special := map[int]string{}
	kinds := []string{"unclosed-quote", "field-count", "invalid-utf8", "long-name", "empty-name"}
	for i := 0; i < 25; i++ {
		special[(i+1)*n/27] = kinds[i%len(kinds)]
	}
	for i := 0; i < 12; i++ {
		special[(2*i+1)*n/25+7] = "kaspersky"
	}
	blanks := map[int]bool{n / 3: true, 2 * n / 3: true}
	for i := 0; i < n; i++ {
		if blanks[i] {
			w.WriteString("\n")
			line++
			m.Blank = append(m.Blank, line)
		}
		line++
		ref := "C" + strconv.Itoa(1_000_000+i)
		seg := []string{"retail", "wholesale", "supplier", "partner"}[r.IntN(4)]
		switch kind := special[i]; kind {
		case "":
		case "kaspersky":
			cw.Write([]string{ref, kasp[r.IntN(len(kasp))], "", "", seg})
			cw.Flush()
			m.Kaspersky = append(m.Kaspersky, line)
			m.Rows++
			continue
		default:
			switch kind {
			case "unclosed-quote":
				fmt.Fprintf(w, "%s,\"Unclosed Quote Trading,RU,,%s\n", ref, seg)
			case "field-count":
				fmt.Fprintf(w, "%s,Too Few Fields\n", ref)
			case "invalid-utf8":
				fmt.Fprintf(w, "%s,Bad \xff\xfe Bytes GmbH,DE,,%s\n", ref, seg)
			case "long-name":
				fmt.Fprintf(w, "%s,%s,US,,%s\n", ref, strings.Repeat("Very Long Name ", 25), seg)
			case "empty-name":
				fmt.Fprintf(w, "%s,,US,,%s\n", ref, seg)
			}
			m.Broken[line] = kind
			m.Rows++
			continue
		}
		var name, typ, ctry string
		switch x := r.IntN(100); {
		case x < 20 && len(names) > 0:
			name = names[r.IntN(len(names))]
		case x < 60:
			name = words[r.IntN(len(words))] + " " + trades[r.IntN(len(trades))] + " " + forms[r.IntN(len(forms))]
			typ = "Entity"
		default:
			name = first[r.IntN(len(first))] + " " + last[r.IntN(len(last))]
			typ = "Individual"
		}
		if r.IntN(3) == 0 {
			ctry = country[r.IntN(len(country))]
		}
		if r.IntN(2) == 0 {
			typ = ""
		}
		cw.Write([]string{ref, strings.TrimSpace(name), ctry, typ, seg})
		if nw != nil {
			q, _ := json.Marshal(struct {
				Name    string `json:"name"`
				Country string `json:"country,omitempty"`
				Type    string `json:"type,omitempty"`
			}{strings.TrimSpace(name), ctry, typ})
			nw.Write(q)
			nw.WriteByte('\n')
		}
		cw.Flush()
		m.Rows++
	}
	cw.Flush()
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	m.Lines = line
	b, _ := json.MarshalIndent(m, "", " ")
	fmt.Fprintf(os.Stderr, "batchgen: wrote %s: %d rows, %d lines, %d broken, %d Kaspersky, manifest %s\n", out, m.Rows, m.Lines, len(m.Broken), len(m.Kaspersky), manPath)
	return os.WriteFile(manPath, b, 0o644)
}

// verify reads a results CSV and checks it against the manifest: one result
// per data row, lines strictly increasing (so no row twice and input order),
// the broken lines (and only they, plus rows the screener itself refuses)
// reported as errors, every Kaspersky row matched.
func verify(results, manPath string) error {
	var m manifest
	b, err := os.ReadFile(manPath)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	f, err := os.Open(results)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	blank := map[int]bool{}
	for _, l := range m.Blank {
		blank[l] = true
	}
	kasp := map[int]bool{}
	for _, l := range m.Kaspersky {
		kasp[l] = true
	}
	var n, errorsSeen, matches, kaspMatched int
	brokenSeen := map[int]string{}
	prev := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n++
		line, _ := strconv.Atoi(rec[col["line"]])
		if line <= prev {
			return fmt.Errorf("result %d: line %d after line %d (a row twice, or out of order)", n, line, prev)
		}
		for l := prev + 1; l < line; l++ {
			if !blank[l] {
				return fmt.Errorf("line %d has no result", l)
			}
		}
		prev = line
		switch rec[col["status"]] {
		case "error":
			errorsSeen++
			if _, ok := m.Broken[line]; ok {
				brokenSeen[line] = rec[col["error"]]
			}
		case "match":
			matches++
			if kasp[line] && strings.Contains(strings.ToLower(rec[col["match_1_name"]]), "kaspersky") {
				kaspMatched++
			}
		}
	}
	if n != m.Rows {
		return fmt.Errorf("%d result rows, want %d", n, m.Rows)
	}
	for l, kind := range m.Broken {
		if _, ok := brokenSeen[l]; !ok {
			return fmt.Errorf("broken line %d (%s) not reported as an error", l, kind)
		}
	}
	if kaspMatched != len(m.Kaspersky) {
		return fmt.Errorf("%d of %d Kaspersky rows matched", kaspMatched, len(m.Kaspersky))
	}
	fmt.Printf("OK: %d result rows for %d rows, each line once and in order; %d with matches; %d errors including all %d broken lines:\n",
		n, m.Rows, matches, errorsSeen, len(m.Broken))
	for l := 0; l <= m.Lines; l++ {
		if reason, ok := brokenSeen[l]; ok {
			fmt.Printf("  line %d (%s): %s\n", l, m.Broken[l], reason)
		}
	}
	fmt.Printf("all %d Kaspersky rows matched (lines %v)\n", kaspMatched, m.Kaspersky)
	return nil
}
