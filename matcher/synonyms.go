package matcher

import "strings"

// Synonyms bring the many spellings of one word to one canonical form before
// matching: British and American spellings (Centre/Center,
// Organisation/Organization, Defence/Defense), common abbreviations
// (Intl/International, Inst/Institute), plural and singular
// (Technologies/Technology, Labs/Lab), and the transliteration variants of
// frequent Arabic names (Mohammed/Muhammad/Mohamed, Ahmed/Ahmad, Abdul/Abd al).
// Both the list and the query go through the same tables, so they only need
// to be consistent, and a rule that over-reaches merely brings two spellings
// of a rare word together.
//
// The tables are general knowledge about names, not about any list.

// spellings maps a word to its canonical spelling. Keys are folded words.
var spellings = map[string]string{
	// Numbers written as words read as their digits ("Plant No. Five" =
	// "Plant No. 5").
	"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
	"nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14", "fifteen": "15",
	"sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20",
	// British and American spellings not caught by the suffix rules.
	"centre": "center", "centres": "center", "centr": "center", "tsentr": "center", "centro": "center",
	"defence": "defense", "offence": "offense", "licence": "license", "licences": "license", "pretence": "pretense",
	"programme": "program", "programmes": "program", "catalogue": "catalog", "dialogue": "dialog", "analogue": "analog",
	"colour": "color", "colours": "color", "harbour": "harbor", "harbours": "harbor", "labour": "labor",
	"honour": "honor", "favour": "favor", "armour": "armor", "armoured": "armored", "behaviour": "behavior",
	"neighbour": "neighbor", "vapour": "vapor", "rumour": "rumor", "endeavour": "endeavor", "saviour": "savior",
	"flavour": "flavor", "odour": "odor", "tumour": "tumor", "valour": "valor", "vigour": "vigor", "parlour": "parlor",
	"splendour": "splendor", "humour": "humor", "glamour": "glamor", "rigour": "rigor", "arbour": "arbor",
	"metre": "meter", "metres": "meter", "litre": "liter", "theatre": "theater", "fibre": "fiber", "fibres": "fiber",
	"calibre": "caliber", "sabre": "saber", "spectre": "specter", "lustre": "luster", "meagre": "meager",
	"sombre": "somber", "manoeuvre": "maneuver", "manoeuvres": "maneuver",
	"aluminium": "aluminum", "jewellery": "jewelry", "jeweller": "jeweler", "tyre": "tire", "tyres": "tire",
	"cheque": "check", "grey": "gray", "plough": "plow", "mould": "mold", "storey": "story", "sulphur": "sulfur",
	"sulphate": "sulfate", "sulphuric": "sulfuric", "draught": "draft", "kerb": "curb", "pyjamas": "pajamas",
	"aeroplane": "airplane", "aeroplanes": "airplane", "paediatric": "pediatric", "orthopaedic": "orthopedic",
	"anaesthesia": "anesthesia", "haematology": "hematology", "oesophagus": "esophagus", "oestrogen": "estrogen",
	"encyclopaedia": "encyclopedia", "mediaeval": "medieval", "foetal": "fetal", "ageing": "aging",
	"acknowledgement": "acknowledgment", "judgement": "judgment", "enrolment": "enrollment", "fulfil": "fulfill",
	"skilful": "skillful", "wilful": "willful", "practise": "practice", "artefact": "artifact", "sceptic": "skeptic",
	"sceptical": "skeptical", "whilst": "while", "amongst": "among", "gaol": "jail", "cosy": "cozy",
	"moustache": "mustache", "pedlar": "peddler", "speciality": "specialty", "specialities": "specialty",
	"travellers": "travelers", "traveller": "traveler", "travelling": "traveling", "jewelers": "jeweler",
	"modelling": "modeling", "labelling": "labeling", "signalling": "signaling", "fuelling": "fueling",
	"counselling": "counseling", "counsellor": "counselor", "councillor": "councilor", "marshalling": "marshaling",
	"channelling": "channeling", "tonne": "ton", "tonnes": "ton", "cypher": "cipher", "annexe": "annex",
	// Abbreviations.
	"intl": "international", "internat": "international", "internatl": "international", "int": "international",
	"inst": "institute", "instit": "institute", "institut": "institute", "instituto": "institute", "institutt": "institute",
	"univ": "university", "uni": "university", "dept": "department", "depts": "department", "assn": "association",
	"assoc": "association", "asso": "association", "natl": "national", "nat": "national", "govt": "government",
	"gov": "government", "mfg": "manufacturing", "mfr": "manufacturer", "mfrs": "manufacturer", "mgmt": "management",
	"mgt": "management", "svc": "service", "svcs": "service", "srv": "service", "serv": "service", "eng": "engineering",
	"engg": "engineering", "ind": "industry", "inds": "industry", "indus": "industry",
	"bros": "brother", "ctr": "center", "cntr": "center", "cent": "center", "hldg": "holding", "hldgs": "holding",
	"grp": "group", "dev": "development", "devt": "development", "sci": "science", "tech": "technology",
	"techn": "technology", "technol": "technology", "techno": "technology", "elec": "electric", "electr": "electric",
	"comm": "communication", "commun": "communication", "comms": "communication", "telecom": "telecommunication",
	"telecoms": "telecommunication", "transp": "transport", "petrochem": "petrochemical", "pharma": "pharmaceutical",
	"pharm": "pharmaceutical", "chem": "chemical", "equip": "equipment", "eqpt": "equipment", "prod": "product",
	"prods": "product", "res": "research", "lab": "laboratory", "labs": "laboratory", "mt": "mount", "ft": "fort",
	"st": "saint", "ste": "saint", "sankt": "saint", "san": "saint", "sv": "saint", "fdn": "foundation", "fndn": "foundation",
	"acad": "academy", "admin": "administration", "med": "medical", "hosp": "hospital", "ins": "insurance",
	"inv": "investment", "invest": "investment", "mkt": "market", "mktg": "marketing", "org": "organization",
	"orgn": "organization", "sys": "system", "trdg": "trading", "imp": "import", "exp": "export", "ent": "enterprise",
	"ents": "enterprise", "entp": "enterprise", "bldg": "building", "const": "construction", "constr": "construction",
	"distr": "distribution", "dist": "district", "props": "property", "prop": "property", "info": "information",
	"hi": "high", "aero": "aerospace",
	"aviat": "aviation", "mach": "machinery", "metall": "metallurgical", "petro": "petroleum", "agri": "agricultural",
	"agric": "agricultural", "coop": "cooperative", "socy": "society", "soc": "society",
	"rep": "republic", "repub": "republic", "fed": "federal", "mgr": "manager", "dir": "directorate",
	"div": "division", "reg": "regional", "bur": "bureau", "nauch": "scientific",
	"nii": "scientific research institute", "npo": "scientific production association", "npp": "scientific production enterprise",
	"okb": "experimental design bureau", "kb": "design bureau",
	// Frequent organisation words in Russian romanisation and their English
	// forms: list entries carry both ("Zavod"/"Plant", "Gruppa"/"Group").
	"zavod": "plant", "zavoda": "plant", "gruppa": "group", "gruppy": "group", "institute": "institute",
	"tsentralnoye": "central", "tsentralnoe": "central", "tsentralny": "central", "tsentralnyy": "central",
	"gosudarstvennoe": "state", "gosudarstvennyy": "state", "federalnoe": "federal", "federalnyy": "federal",
	"nauchno": "scientific", "nauchnyy": "scientific", "nauchnyi": "scientific", "issledovatelskiy": "research",
	"issledovatelsky": "research", "proizvodstvennoe": "production", "proizvodstvennoye": "production",
	"obedinenie": "association", "obyedinenie": "association", "obedineniye": "association", "obyedineniye": "association",
	"predpriyatie": "enterprise", "predpriyatiye": "enterprise", "konstruktorskoe": "design", "konstruktorskoye": "design",
	"byuro": "bureau", "bank": "bank", "banka": "bank", "banco": "bank", "banque": "bank",
	"kontsern": "concern", "laboratoriya": "laboratory", "laboratorii": "laboratory", "korporatsiya": "corporation",
	"respublika": "republic", "ministerstvo": "ministry", "upravlenie": "directorate", "sluzhba": "service",
	"universitet": "university", "akademiya": "academy", "fond": "foundation", "tekhnologii": "technology",
	"tekhnologiya": "technology", "sistemy": "system", "sistema": "system", "elektronika": "electronics",
	"rossii": "russia", "rossiya": "russia", "rossiyskoy": "russian", "rossiyskaya": "russian", "rossiyskiy": "russian",
	"sudostroitelny": "shipbuilding", "sudostroitelnyy": "shipbuilding", "sudostroitelnyi": "shipbuilding",
	"stroitelnaya": "construction", "shipyard": "shipyard", "verf": "shipyard",
	"first": "first", "1st": "first", "2nd": "second", "3rd": "third",
}

// multiWords are abbreviations that stand for several words; the expansion
// replaces the word. Kept separate because one word becomes several tokens.
var multiWords = map[string][]string{}

// arabicNames maps transliteration variants of frequent Arabic given names
// and name parts to one spelling.
var arabicNames = map[string]string{}

func init() {
	groups := []string{
		"muhammad mohammed mohammad mohamed mohamad muhammed muhamad muhamed mohammod mohd muhammet mohamud mouhamed mouhammad mohammud mohamd mhd mohammd muhammadu mohamet",
		"ahmad ahmed ahmet ehmed ahmd achmad achmed",
		"ali aly alee",
		"husayn hussein husein hussain husain hossein hosein hussien hosseyn husseyn hussayn hussin husian",
		"hasan hassan hasen hassen hacen",
		"umar omar omer umer omor",
		"uthman othman osman usman othmane uthmaan",
		"yusuf yousef youssef yusef yosef yousif yousuf yussuf yusif yousof yusof yossef youcef",
		"ibrahim ebrahim ibraheem ibraim brahim",
		"ismail esmail ismael ismayil ismaeel ismail",
		"abdullah abdallah abdollah abdulla abdellah abdalla abdoulah abdulah abdullahi",
		"mahmud mahmoud mahmood mahmod",
		"mustafa mostafa moustafa mustapha mostapha moustapha mustafah",
		"khalid khaled khaleed",
		"said saeed saeid saied saiid saed",
		"sayyid syed sayed sayyed seyed seyyed sayid seyyid sied",
		"rahman rehman rahmane rahmaan",
		"rahim raheem rahime",
		"karim kareem karime",
		"jamal gamal djamal jamaal",
		"nasir nasser naser nassir nacer",
		"mansur mansour mansoor",
		"hamid hamed hameed",
		"majid majeed maged magid madjid",
		"rashid rasheed rachid rashed",
		"walid waleed oualid",
		"zayd zaid zeid",
		"faisal faysal faycal feisal faisel",
		"hamza hamzah hamzeh",
		"qasim kasim qassem kassem qasem qassim",
		"jafar jaafar jaffar djafar jafer jaafer",
		"mahdi mehdi",
		"reza riza ridha rida",
		"muhsin mohsen mohsin muhsen",
		"usama osama oussama usamah osamah",
		"yahya yahia yehia yehya yahiya",
		"yasin yassin yaseen yassine",
		"salih saleh swaleh",
		"sulayman sulaiman suleiman soliman sleiman suleyman sulejman suleman",
		"idris idrees edris",
		"habib habeeb",
		"tariq tarek tarik tareq",
		"amin ameen",
		"anwar anouar",
		"hisham hesham hicham",
		"hussam hossam husam",
		"jalal djalal galal",
		"khalil khaleel",
		"nabil nabeel",
		"nur noor nour",
		"rafiq rafik rafeeq",
		"samir sameer",
		"shafiq shafik chafik",
		"sharif shareef cherif",
		"tahir taher tahar",
		"wahid waheed",
		"yasir yasser yaser yassir",
		"zakariya zakaria zakariyya zakariah zakariyah",
		"abu abou abo",
		"bin ben ibn",
		"bint binti",
		"abd abdu",
		"al el",
		"ayman aiman",
		"fatima fatimah fatema fatemeh",
		"aisha aysha aicha ayesha",
		"ghani gani",
		"aziz azeez",
		"haytham haitham haithem",
		"jumah juma jomaa jumaa",
		"mubarak moubarak",
		"munir mounir",
		"nizar nezar",
		"ramadan ramadhan ramazan",
		"ubayd obaid ubaid obeid",
		"ubaydullah obaidullah ubaidullah",
	}
	for _, g := range groups {
		f := strings.Fields(g)
		for _, v := range f {
			arabicNames[v] = f[0]
		}
	}
	// Abd al-X written as one word ("Abdul", "Abdel", "Abdol") is "abd al".
	for _, v := range []string{"abdul", "abdel", "abdol", "abdal", "abdoul", "abdel", "abdil", "abdur", "abdar", "abdus", "abdulla"} {
		multiWords[v] = []string{"abd", "al"}
	}
	delete(multiWords, "abdulla")
	for k, v := range spellings {
		if strings.Contains(v, " ") {
			multiWords[k] = strings.Fields(v)
			delete(spellings, k)
		}
	}
}

// multiWordsOf returns the words w stands for when it abbreviates or
// contracts several ("Abdul" = "abd al"), also with its first letter
// doubled by a typo ("Aabdul").
func multiWordsOf(w string) ([]string, bool) {
	if exp, ok := multiWords[w]; ok {
		return exp, true
	}
	if len(w) >= 5 && w[0] == w[1] {
		if exp, ok := multiWords[w[1:]]; ok && len(exp) == 2 && exp[0] == "abd" {
			return exp, true
		}
	}
	return nil, false
}

// abdPrefixes are the one-word spellings of "Abd al-" that may be glued to
// the rest of the name ("Abdulrahman", "Abdelaziz").
var abdPrefixes = []string{"abdul", "abdel", "abdol", "abdal", "abdoul", "abdur", "abdus", "abdar"}

// splitAbd splits "abdulrahman" into "abd", "al", "rahman"; rest is "" when w
// is not such a name.
func splitAbd(w string) (rest string) {
	for _, p := range abdPrefixes {
		if len(w) >= len(p)+3 && strings.HasPrefix(w, p) {
			r := w[len(p):]
			// Abdullah is a name of its own.
			if strings.HasPrefix(r, "lah") || strings.HasPrefix(r, "llah") || r == "la" {
				return ""
			}
			return r
		}
	}
	return ""
}

// Honorifics and titles carry no identity: "Dr Ivan Petrov" is Ivan Petrov.
// honorifics count anywhere in a name; ranks only at its start, since
// "General", "Major" or "Captain" inside a name are ordinary words.
var honorifics = setOf(
	"mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "sir", "dame", "madam", "madame",
	"mme", "mlle", "monsieur", "herr", "frau", "senor", "senora", "sr", "sra", "srta", "dona",
	"sheikh", "shaikh", "sheik", "shaykh", "cheikh", "shaikha", "sheikha", "haji", "hajji", "hadji", "alhaji", "alhajji", "hajj",
	"mullah", "mulla", "maulana", "mawlana", "mawlawi", "maulvi", "mawlavi", "molvi", "mufti", "imam", "ayatollah",
	"hojatoleslam", "hojjatoleslam", "excellency", "hon", "honorable", "honourable", "rev", "reverend", "revd",
	"pastor", "bishop", "engr", "ing", "dipl", "phd", "esq", "jr", "jnr", "snr", "ii", "iii", "hrh", "his", "her",
	"comrade", "tovarishch", "gospodin", "gospozha", "sayyidah", "ustadh", "ustaz",
)

var ranks = setOf(
	"gen", "general", "lt", "lieutenant", "col", "colonel", "maj", "major", "capt", "captain", "cpt", "cmdr",
	"commander", "cdr", "adm", "admiral", "brig", "brigadier", "sgt", "sergeant", "cpl", "corporal", "marshal",
	"lieut", "ltcol", "ltgen", "majgen", "brigen", "commodore", "commandant", "chief", "president",
	"minister", "governor", "senator", "deputy", "judge", "justice",
)

// rankAbbreviations are the abbreviated ranks, titles wherever they lead.
var rankAbbreviations = setOf("gen", "lt", "col", "maj", "capt", "cpt", "cmdr", "cdr", "adm", "brig", "sgt", "cpl",
	"lieut", "ltcol", "ltgen", "majgen", "brigen")

// stopwords are function words in the languages of the lists; they carry
// almost nothing.
var stopwords = setOf(
	"of", "the", "and", "for", "de", "la", "le", "les", "du", "des", "del", "della", "di", "da", "do", "dos", "das",
	"y", "e", "et", "und", "i", "in", "on", "at", "to", "po", "s", "v", "na", "im", "imeni", "von", "van", "der", "den",
	"zu", "al", "a", "an", "by", "with", "ve", "va", "wa", "u", "z", "ot", "pri", "dlya", "or", "ou", "o", "oder",
)

// genericWords are business words so frequent in company names everywhere
// that a match on them alone says nothing, whatever their frequency in one
// list; their weight is capped (see index.go).
var genericWords = setOf(
	"group", "holding", "international", "global", "trading", "trade", "trader", "technology", "industry",
	"industrial", "enterprise", "service", "solution", "system", "laboratory", "bank", "banking",
	"investment", "capital", "finance", "financial", "partner", "associate", "management", "consulting", "consultant",
	"development", "engineering", "manufacturing", "manufacturer", "logistics", "shipping", "transport", "energy",
	"electronics", "electronic", "electric", "electrical", "import", "export", "general", "national", "united",
	"universal", "world", "worldwide", "commercial", "business", "product", "supply", "supplies", "equipment",
	"machinery", "resource", "network", "media", "communication", "telecommunication", "science", "scientific",
	"research", "institute", "center", "agency", "office", "department", "ministry", "bureau", "association",
	"foundation", "organization", "union", "factory", "plant", "work", "works", "production", "design",
	"construction", "project", "marketing", "sale", "sales", "distribution", "air", "aviation", "airline", "maritime",
	"marine", "petroleum", "oil", "gas", "chemical", "pharmaceutical", "medical", "health", "software", "computer",
	"digital", "data", "information", "security", "defense", "metal", "steel", "mining", "power", "food", "agro",
	"agricultural", "textile", "motor", "auto", "automotive", "property", "real", "estate", "insurance",
	"exchange", "express", "new", "first", "royal", "golden", "green", "blue", "red", "north", "south", "east",
	"west", "central", "middle", "pacific", "atlantic", "gulf", "star", "sun", "city", "state", "public", "private",
	"federal", "regional", "republic", "limited", "association", "society", "cooperative", "brother", "son",
	"family", "home", "house", "line", "lines", "star", "tech", "high", "advanced", "modern", "smart", "best",
	"quality", "premier", "prime", "pro", "plus", "mega", "super", "euro", "asia", "africa", "america", "american",
	"european", "asian", "oriental", "orient", "overseas", "foreign", "economic", "development", "hotel", "travel",
	"tour", "tourism", "consult", "construction", "building", "contracting", "contractor", "material", "materials",
	"precision", "instrument", "device", "component", "part", "machine", "tool", "vehicle", "ship", "shipbuilding",
	"airport", "port", "railway", "road", "bridge", "university", "academy", "school", "college", "hospital",
	"directorate", "administration", "committee", "council", "authority", "command", "force", "army", "navy",
	"police", "government", "division", "branch", "unit", "affair", "affairs", "concern", "complex", "market",
	"store", "shop", "mart", "center", "point", "link", "net", "web", "online", "mobile", "wireless", "cable",
	"optical", "optic", "photonic", "laser", "nuclear", "atomic", "space", "aerospace", "rocket", "missile",
	"weapon", "arm", "arms", "defence", "military", "strategic", "special", "applied", "experimental",
	// The same words in the other languages of company names.
	"societe", "sociedad", "sociedade", "societa", "generale", "generales", "nacional", "nationale", "nazionale",
	"internacional", "internationale", "internazionale", "industrie", "industria", "industrias", "industriel",
	"comercial", "commerciale", "commercio", "empresa", "empresas", "entreprise", "entreprises", "grupo", "groupe",
	"gruppo", "gruppa", "banco", "banque", "banca", "servicios", "servizi", "tecnologia", "technologie",
	"tekhnologii", "tekhnologiya", "inversiones", "investimentos", "comercio", "importadora", "exportadora",
	"negocios", "construcciones", "construcoes", "ingenieria", "petroleos", "transportes", "corporacion",
	"compania", "compagnie", "handels", "handel", "gesellschaft", "werke", "technik", "systeme", "zavod",
	"kombinat", "obyedinenie", "obedinenie", "nauchno", "proizvodstvennoe", "predpriyatie", "tsentr", "institut",
	"upravlenie", "ministerstvo", "sluzhba", "agentstvo", "fond", "bank", "sanat", "tejarat", "tejarat", "sherkat",
	"sanaye", "sanayi", "ticaret", "muhendislik", "insaat",
	// Countries, regions and their adjectives: subsidiaries are named
	// after them everywhere ("Huawei Technologies Canada").
	"russia", "russian", "china", "chinese", "iran", "iranian", "uk", "usa", "us", "britain", "british",
	"england", "german", "germany", "france", "french", "italy", "italia", "spain", "canada", "mexico", "brazil",
	"india", "indian", "pakistan", "japan", "korea", "korean", "syria", "syrian", "iraq", "iraqi", "lebanon",
	"turkey", "turk", "uae", "emirates", "emirate", "arab", "arabia", "saudi", "dubai", "hong", "kong", "hongkong",
	"singapore", "malaysia", "thailand", "vietnam", "ukraine", "belarus", "kazakhstan", "crimea", "africa",
	"european", "asia", "pacific", "middle", "east", "gulf", "international", "overseas", "beijing", "shanghai",
	"shenzhen", "moscow", "tehran", "caspian", "baltic", "siberia", "siberian", "ural", "far", "north", "south",
	"west", "western", "eastern", "northern", "southern", "america", "american", "latin", "venezuela", "cuba",
	"panama", "colombia", "peru", "chile", "argentina", "israel", "egypt", "libya", "sudan", "yemen", "oman",
	"qatar", "kuwait", "bahrain", "jordan", "afghanistan", "nigeria", "kenya", "somalia", "ethiopia", "global",
)

// orgTypeWords name the kind of organisation rather than its business
// ("Group", "Lab", "Holding", "Institute", "Plant"): a customer swaps one for
// another freely (Kaspersky Lab, Kaspersky Group), so they weigh even less
// than other generic words. They are a subset of genericWords.
var orgTypeWords = setOf(
	"group", "holding", "holdings", "enterprise", "enterprises", "firm", "lab", "labs", "laboratory", "laboratories",
	"organization", "organisation", "association", "agency", "bureau", "office", "partner", "partners", "partnership",
	"associate", "associates", "consortium", "concern", "alliance", "union", "society", "foundation", "fund", "trust",
	"institute", "center", "centre", "establishment", "factory", "plant", "works", "work", "academy", "university",
	"college", "school", "hospital", "ministry", "department", "directorate", "committee", "council", "authority",
	"administration", "branch", "division", "unit", "complex", "cooperative", "house", "store", "shop", "club",
	"team", "network", "gruppa", "grupo", "groupe", "gruppo", "empresa", "entreprise", "zavod", "kombinat",
	"obyedinenie", "obedinenie", "predpriyatie", "tsentr", "institut", "fond", "upravlenie", "ministerstvo",
	"sluzhba", "agentstvo", "sherkat",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// foldPlural returns the singular of an English plural, or w. Only the
// regular patterns are folded, and only for words long enough that the rule
// is more often right than wrong ("Labs" is "Lab", "Abbas" stays).
func foldPlural(w string) string {
	n := len(w)
	if n < 4 || w[n-1] != 's' {
		return w
	}
	switch {
	case n >= 6 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n >= 6 && (strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "xes")):
		return w[:n-2]
	}
	p := w[n-2]
	if isVowel(p) || p == 's' || p == 'y' || p == '\'' {
		// -es, -us, -is, -os, -as, -ss, -ys: "services" stays "services"
		// here but its singular reaches it through the typo rule.
		if p == 'e' && n >= 6 {
			q := w[n-3]
			// -ces, -ges, -ses, -tes, -ves, -res, -nes, -les, -des: drop
			// the s only ("services" -> "service", "sales" -> "sale").
			if strings.IndexByte("cgtvrnldmpkzsu", q) >= 0 {
				return w[:n-1]
			}
		}
		return w
	}
	if p >= '0' && p <= '9' {
		return w
	}
	return w[:n-1]
}

// americanSpelling applies the regular British-to-American suffix rules
// (-isation/-ization, -ise/-ize, -yse/-yze) to a word of six letters or more.
func americanSpelling(w string) string {
	n := len(w)
	if n < 6 {
		return w
	}
	for _, r := range americanSuffixes {
		if strings.HasSuffix(w, r[0]) && n-len(r[0]) >= 3 {
			return w[:n-len(r[0])] + r[1]
		}
	}
	return w
}

var americanSuffixes = [][2]string{
	{"isations", "ization"}, {"isation", "ization"}, {"ising", "izing"}, {"ised", "ized"}, {"iser", "izer"},
	{"isers", "izer"}, {"ises", "izes"}, {"ise", "ize"}, {"yse", "yze"}, {"ysed", "yzed"}, {"ysing", "yzing"},
	{"ogue", "og"},
}

// canonicalWord returns the canonical form of a folded word and how it was
// reached: "" when the word is its own canonical form, HowSynonym for a
// spelling, abbreviation or plural, HowTransliteration for an Arabic name
// variant.
func canonicalWord(w string) (string, string) {
	if c, ok := spellings[w]; ok {
		if c == w {
			return w, ""
		}
		return c, HowSynonym
	}
	if c, ok := arabicNames[w]; ok {
		if c == w {
			return w, ""
		}
		return c, HowTransliteration
	}
	p := foldPlural(w)
	if p != w {
		if c, ok := spellings[p]; ok {
			return c, HowSynonym
		}
		return americanSpelling(p), HowSynonym
	}
	if a := americanSpelling(w); a != w {
		return a, HowSynonym
	}
	return w, ""
}
