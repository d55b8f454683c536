package matcher

// Hypocorisms: the short forms customers write for given names ("Bill" for
// William, "Sasha" for Aleksandr, "Misha" for Mikhail). A query word in the
// table also stands for the full forms, and a full form for its short
// forms, at simNickname: a listed person is often written with the full
// name and known by the short one, or the other way round. Full forms are
// found by canonical form and by romanisation key, so "Aleksandr" also
// reaches "Alexander" and "Oleksandr" is left to the key's own reach.

// simNickname is the similarity of a short form and its full given name.
const simNickname = 0.9

// shortForms maps a short form to the full given names it stands for, in
// English, Russian/Ukrainian and a few other languages the lists hold.
var shortForms = map[string][]string{
	// English.
	"bill": {"william"}, "billy": {"william"}, "will": {"william"}, "willy": {"william"},
	"bob": {"robert"}, "bobby": {"robert"}, "rob": {"robert"}, "robbie": {"robert"}, "bert": {"robert", "albert", "herbert"},
	"jim": {"james"}, "jimmy": {"james"}, "jamie": {"james"},
	"mike": {"michael"}, "mick": {"michael"}, "mickey": {"michael"},
	"tom": {"thomas"}, "tommy": {"thomas"},
	"dick": {"richard"}, "rick": {"richard"}, "rich": {"richard"}, "ricky": {"richard"},
	"ted": {"edward", "theodore"}, "ed": {"edward", "edwin", "edmund"}, "eddie": {"edward"}, "ned": {"edward"},
	"tony": {"anthony", "antonio"}, "joe": {"joseph"}, "joey": {"joseph"},
	"dave": {"david"}, "davy": {"david"}, "dan": {"daniel"}, "danny": {"daniel"},
	"sam": {"samuel"}, "sammy": {"samuel"}, "alex": {"alexander", "aleksandr"},
	"chris": {"christopher", "christian"}, "nick": {"nicholas", "nikolai"}, "nicky": {"nicholas"},
	"pete": {"peter"}, "steve": {"steven", "stephen"}, "stevie": {"steven"},
	"jack": {"john"}, "johnny": {"john"}, "jon": {"john", "jonathan"},
	"harry": {"henry", "harold"}, "hank": {"henry"}, "larry": {"lawrence"}, "jerry": {"gerald", "jerome"},
	"andy": {"andrew"}, "drew": {"andrew"}, "matt": {"matthew"}, "pat": {"patrick", "patricia"},
	"greg": {"gregory"}, "fred": {"frederick"}, "freddie": {"frederick"},
	"charlie": {"charles"}, "chuck": {"charles"}, "ron": {"ronald"}, "ronnie": {"ronald"},
	"don": {"donald"}, "doug": {"douglas"}, "ken": {"kenneth"}, "kenny": {"kenneth"},
	"tim": {"timothy"}, "timmy": {"timothy"}, "walt": {"walter"}, "wally": {"walter"},
	"liz": {"elizabeth"}, "beth": {"elizabeth"}, "betty": {"elizabeth"}, "lizzie": {"elizabeth"},
	"kate": {"katherine", "catherine", "kathleen"}, "kathy": {"katherine", "kathleen"}, "cathy": {"catherine"},
	"sue": {"susan"}, "suzy": {"susan"}, "peggy": {"margaret"}, "maggie": {"margaret"}, "meg": {"margaret"},
	"jenny": {"jennifer"}, "jen": {"jennifer"}, "becky": {"rebecca"}, "vicky": {"victoria"},
	// Russian, Ukrainian, Belarusian.
	"sasha": {"aleksandr", "aleksandra"}, "shura": {"aleksandr"}, "sanya": {"aleksandr"},
	"misha": {"mikhail"}, "kolya": {"nikolai"}, "volodya": {"vladimir"}, "vova": {"vladimir"},
	"dima": {"dmitry"}, "seryozha": {"sergey"}, "serezha": {"sergey"}, "zhenya": {"yevgeniy", "yevgeniya"},
	"vanya": {"ivan"}, "petya": {"pyotr"}, "alyosha": {"aleksey"}, "lyosha": {"aleksey"}, "lesha": {"aleksey"},
	"tolya": {"anatoly"}, "slava": {"vyacheslav", "vladislav", "stanislav", "yaroslav"},
	"kostya": {"konstantin"}, "grisha": {"grigory"}, "pasha": {"pavel"}, "yura": {"yury"},
	"vitya": {"viktor"}, "valera": {"valery"}, "gena": {"gennady"}, "borya": {"boris"},
	"lyonya": {"leonid"}, "fedya": {"fyodor"}, "stepa": {"stepan"}, "tanya": {"tatyana"},
	"natasha": {"natalya"}, "katya": {"yekaterina"}, "masha": {"mariya"}, "olya": {"olga"},
	"sveta": {"svetlana"}, "lena": {"yelena"}, "lyuda": {"lyudmila"}, "ira": {"irina"},
	"galya": {"galina"}, "nadya": {"nadezhda"}, "lyuba": {"lyubov"}, "ksyusha": {"kseniya"},
	"nastya": {"anastasiya"}, "zhora": {"georgy"},
	// Spanish, Portuguese, Italian, German.
	"pepe": {"jose"}, "paco": {"francisco"}, "pancho": {"francisco"}, "nacho": {"ignacio"},
	"lupe": {"guadalupe"}, "chus": {"jesus"}, "quique": {"enrique"},
	"beppe": {"giuseppe"}, "gigi": {"luigi"}, "sepp": {"josef"},
}

// simFullForm is the similarity of a full given name and a short form
// listed for it: lists write full names, so a listed short form is rarer
// and a match through it weaker evidence.
const simFullForm = 0.85

// fullForms maps the romanisation key of a full given name to its short
// forms: the table read the other way, "Nikolay" and "Nikolai" alike.
var fullForms = func() map[string][]string {
	m := map[string][]string{}
	var kb []byte
	for short, fulls := range shortForms {
		for _, f := range fulls {
			c, _ := canonicalWord(f)
			kb = romanKey(kb, c)
			m[string(kb)] = append(m[string(kb)], short)
		}
	}
	return m
}()

// nicknameCands adds the vocabulary entries query word i stands for as a
// short or full form of a given name, in a name of two words or more (a
// one-word name is no given name with a family name: the vessel "Dan" is
// not the "Daniel").
func (ix *Index) nicknameCands(s *scratch, i int) {
	words := 0
	for k := range s.qt {
		if s.qt[k].tok.kind == kindWord {
			words++
		}
	}
	if words < 2 {
		return
	}
	t := &s.qt[i].tok
	for _, f := range shortForms[t.canon] {
		ix.addForm(s, i, f, simNickname)
	}
	for _, f := range fullForms[t.key] {
		ix.addForm(s, i, f, simFullForm)
	}
}

// addForm adds the vocabulary entries of given name f, by canonical form
// and by key, as candidates of query word i at similarity sim.
func (ix *Index) addForm(s *scratch, i int, f string, sim float32) {
	c, _ := canonicalWord(f)
	if id, ok := ix.byCanon[c]; ok {
		s.addCand(i, unitSingle, id, sim, howSynonymCode, 0)
	}
	s.kb = romanKey(s.kb, c)
	for _, id := range ix.byKey[string(s.kb)] {
		if ix.vocab[id].canon != c {
			s.addCand(i, unitSingle, id, sim*ix.params.keySim(len(c)), howSynonymCode, 0)
		}
	}
}
