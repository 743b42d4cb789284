package artifact

// Output names of a generate action: the test script itself (raw Python source), and the
// generation record (JSON Generation).
const (
	ScriptOutput     = "script"
	GenerationOutput = "generation"
)

// Generation records how a test was generated: enough for a dataset's generation_config and
// for a researcher to audit every attempt.
type Generation struct {
	Generator string            `json:"generator"` // label
	Endpoint  string            `json:"endpoint"`
	Model     string            `json:"model"`
	Params    map[string]string `json:"params"` // every request parameter sent, as text
	Sample    int               `json:"sample"`
	PromptCut bool              `json:"prompt_cut"` // the diff was cut to the budget
	Attempts  []Attempt         `json:"attempts"`
}

// Attempt is one request and its answer.
type Attempt struct {
	Request      string `json:"request,omitempty"` // repair message sent, "" for the first
	Response     string `json:"response"`          // raw text returned
	FinishReason string `json:"finish_reason"`
	ServedModel  string `json:"served_model"` // the model id the server returned
	PromptTokens int    `json:"prompt_tokens"`
	OutputTokens int    `json:"output_tokens"`
	Problem      string `json:"problem,omitempty"` // why it was rejected, "" when accepted
}
