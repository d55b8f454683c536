package matcher

import (
	"strconv"
	"strings"
	"testing"
)

// setParamsFromString overrides scoring constants for tuning experiments:
// "cq=0.5,cn=0.35". Test-only.
func (ix *Index) setParamsFromString(tb testing.TB, s string) {
	p := ix.params
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			tb.Fatalf("bad param %q", kv)
		}
		switch k {
		case "cq":
			p.cq = float32(f)
		case "cn":
			p.cn = float32(f)
		case "cnp":
			p.cnPerson = float32(f)
		case "pow":
			p.idfPower = f
		case "gen":
			p.genericIDF = f
		case "org":
			p.orgTypeIDF = f
		case "legal":
			p.legalWeight = float32(f)
		case "stop":
			p.stopWeight = float32(f)
		case "title":
			p.titleWeight = float32(f)
		case "init":
			p.initialIDF = f
		case "tdf":
			p.typoMaxDF = int32(f)
		case "anchor":
			p.anchorSim = float32(f)
		case "split":
			p.splitAlone = float32(f)
		case "typo":
			p.typoCost = float32(f)
		case "key":
			p.simKey = float32(f)
		case "st4":
			p.shortTypo4 = float32(f)
		case "st5":
			p.shortTypo5 = float32(f)
		case "sk4":
			p.shortKey4 = float32(f)
		case "sk5":
			p.shortKey5 = float32(f)
		case "ev":
			p.minEvidence = float32(f)
		case "paren":
			p.parenFactor = float32(f)
		case "k":
			p.candidates = int(f)
		case "est":
			p.minEstimate = float32(f)
		default:
			tb.Fatalf("unknown param %q", k)
		}
	}
	ix.params = p
	ix.weigh()
}
