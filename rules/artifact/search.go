package artifact

// Output names of a commit search: the scan action's candidates, and the search action's
// record and commit list.
const (
	ScanOutput       = "scan"    // Scan, JSON
	SearchOutput     = "search"  // SearchRecord, JSON
	CommitListOutput = "commits" // the accepted commits, as the CSV or JSON file for_each reads
)

// Scan is what a history scan found: how many commits it read, why it set aside the ones it
// did, and the facts of those that passed every filter (the candidates) and of those the
// search's include list names.
type Scan struct {
	Repo     string      `json:"repo"`
	To       string      `json:"to"`             // full SHA the scan started from
	From     string      `json:"from,omitempty"` // full SHA whose history was left out
	Funnel   Funnel      `json:"funnel"`
	Found    []Candidate `json:"candidates"`
	Included []Candidate `json:"included,omitempty"`
}

// Candidate is a commit that passed the scan's filters, with what the filters saw.
type Candidate struct {
	Facts   CommitFacts `json:"facts"`
	Keyword string      `json:"keyword,omitempty"` // the first keyword pattern that matched
	Files   int         `json:"files"`
	Lines   int         `json:"lines"` // added plus removed
}

// Funnel counts a search's commits stage by stage, and why the others fell out. A stage
// holds the commits that reached it: every commit counted in Scanned and not in Rejected
// reaches Candidates.
type Funnel struct {
	Scanned    int `json:"scanned"`
	Keywords   int `json:"matched_keywords"`
	Candidates int `json:"passed_filters"` // paths, files and lines
	// Accepted is the candidates the model accepted (all of them when no model is asked).
	Accepted int `json:"accepted"`
	// Selected is what the list holds after the exclude and include lists.
	Selected int `json:"selected"`
	// Rejected counts the commits set aside, by reason ("no keyword", "more than 10
	// files", "model: not a performance commit", "excluded").
	Rejected map[string]int `json:"rejected"`
}

// Reject counts one commit set aside for reason.
func (f *Funnel) Reject(reason string) {
	if f.Rejected == nil {
		f.Rejected = map[string]int{}
	}
	f.Rejected[reason]++
}

// SearchRecord is the search's full account: the funnel and a decision for every candidate
// and every commit of the include and exclude lists.
type SearchRecord struct {
	Search    string     `json:"search"` // the target's label
	Funnel    Funnel     `json:"funnel"`
	Decisions []Decision `json:"decisions"`
}

// Decision is what became of one commit the search looked at closely.
type Decision struct {
	SHA      string `json:"sha"`
	Base     string `json:"base"`
	Date     string `json:"date"`
	Author   string `json:"author"`
	Subject  string `json:"subject"`
	Keyword  string `json:"keyword,omitempty"`
	Files    int    `json:"files"`
	Lines    int    `json:"lines"`
	Selected bool   `json:"selected"`
	// By says what decided: "filters" (no model was asked), "model", "exclude" or "include".
	By string `json:"by"`
	// Reason is the model's stated reason, or the comment of the include or exclude list.
	Reason string   `json:"reason"`
	APIs   []string `json:"apis"`
	// Model is the model that answered, as the endpoint named it.
	Model string `json:"model,omitempty"`
}
