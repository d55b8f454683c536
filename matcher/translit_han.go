package matcher

import (
	"strings"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
	"golang.org/x/text/unicode/norm"
)

// Chinese characters are read in pinyin without tones, one word per
// character: the lists write Chinese names in pinyin, given names joined
// (Xiaoping) and company names joined or not (Huawei, Hua Wei), and the
// matcher meets two query words written as one listed word (joinCands).
// The readings come from github.com/mozillazg/go-pinyin's dictionary of
// 41,000 characters (its first reading of each), a maintained table that
// this package should not copy. A character with several readings gets
// its most common one; names that read otherwise (Chongqing's 重) may be
// missed, never wrongly cleared.
//
// Company names are mostly listed in English ("Huawei Technologies Co.,
// Ltd." for 华为技术有限公司), so the common business words of Chinese
// company names are translated, as the companies do themselves.

// hanWords are Chinese business words and their English, longest first
// among words that start alike (the splitter tries the longest match).
var hanWords = map[string]string{
	"股份有限公司": "company limited",
	"有限责任公司": "limited liability company",
	"有限公司":   "company limited",
	"集团公司":   "group corporation",
	"总公司":    "corporation",
	"公司":     "company",
	"集团":     "group",
	"控股":     "holdings",
	"技术":     "technologies",
	"科技":     "technology",
	"电子":     "electronics",
	"信息":     "information",
	"产业":     "industry",
	"工业":     "industry",
	"军工":     "military industry",
	"实业":     "industrial",
	"国际":     "international",
	"贸易":     "trading",
	"进出口":    "import and export",
	"通讯":     "communications",
	"通信":     "communications",
	"电信":     "telecom",
	"移动":     "mobile",
	"联通":     "unicom",
	"网络":     "network",
	"软件":     "software",
	"半导体":    "semiconductor",
	"航空":     "aviation",
	"航天":     "aerospace",
	"科学":     "science",
	"工程":     "engineering",
	"研究所":    "research institute",
	"研究院":    "research institute",
	"研究中心":   "research center",
	"大学":     "university",
	"学院":     "institute",
	"银行":     "bank",
	"船舶":     "shipbuilding",
	"海运":     "shipping",
	"航运":     "shipping",
	"物流":     "logistics",
	"能源":     "energy",
	"石油":     "petroleum",
	"化工":     "chemical",
	"核电":     "nuclear power",
	"设备":     "equipment",
	"仪器":     "instruments",
	"机械":     "machinery",
	"材料":     "materials",
	"投资":     "investment",
	"发展":     "development",
	"中国":     "china",
	"朝鲜":     "korea",
	"长城":     "great wall",
	"重庆":     "chong qing",
	// Japanese legal forms, in characters Chinese shares.
	"株式会社": "kabushiki kaisha",
	"有限会社": "yugen kaisha",
	"香港":   "hong kong",
	"澳门":   "macau",
}

// maxHanWord is the most characters a hanWords key has.
const maxHanWord = 6

// hanReadings override the dictionary's first reading of characters
// whose other reading is the one names mostly have (长 in Changsha and
// Changchun, 都 in Chengdu, 厦 in Xiamen, the surname 曾 Zeng).
var hanReadings = map[rune]string{'长': "chang", '都': "du", '厦': "xia", '曾': "zeng", '藏': "zang"}

// hanKnown reports a character the pinyin dictionary reads.
func hanKnown(r rune) bool {
	_, ok := pinyin.PinyinDict[int(r)]
	return ok
}

// hanReading is the toneless pinyin of r's first reading, or "".
func hanReading(r rune) string {
	if t, ok := hanReadings[r]; ok {
		return t
	}
	p, ok := pinyin.PinyinDict[int(r)]
	if !ok {
		return ""
	}
	if k := strings.IndexByte(p, ','); k >= 0 {
		p = p[:k]
	}
	var b strings.Builder
	for _, c := range norm.NFD.String(p) {
		switch {
		case c < utf8.RuneSelf && ('a' <= c && c <= 'z'):
			b.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c + 'a' - 'A')
		}
	}
	return b.String()
}

// splitHan cuts the run of Chinese characters at the start of rs into
// words: business words translated, each other character its pinyin. It
// returns how many runes it read.
func (sp *splitter) splitHan(rs []rune, paren bool) int {
	n := 0
	for n < len(rs) && otherScript(rs[n]) == scriptHan {
		n++
	}
	for i := 0; i < n; {
		matched := false
		for l := min(maxHanWord, n-i); l >= 2; l-- {
			if en, ok := hanWords[string(rs[i:i+l])]; ok {
				for _, w := range strings.Fields(en) {
					sp.emitText(w, paren)
				}
				i += l
				matched = true
				break
			}
		}
		if !matched {
			sp.emitText(hanReading(rs[i]), paren)
			i++
		}
	}
	return n
}

// emitText appends w, a Latin word, as a word of its own.
func (sp *splitter) emitText(w string, paren bool) {
	sp.runes = sp.runes[:0]
	for _, c := range w {
		sp.runes = append(sp.runes, c)
	}
	if len(sp.runes) > 0 {
		sp.emit(paren, false)
	}
	sp.runes = sp.runes[:0]
}
