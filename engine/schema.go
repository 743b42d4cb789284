package engine

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// A Kind is one target kind (repo, commit, generator, environment, benchmark, dataset). Each
// lives in its own package under rules/ and is registered with the loader by the command.
type Kind interface {
	Name() string
	Schema() *Schema
	// Plan returns the action that stands for the target's result. It may plan other targets
	// through the planner (a benchmark plans its commit) and add helper actions.
	Plan(p *Planner, t *Target) (*Action, error)
}

// Decoder is the ability every kind of this binary has: it turns a loaded target into the
// kind's own typed config, once, at load time, checking what the schema cannot (mutually
// exclusive attributes, values that depend on each other) with diagnostics that point at the
// attribute. The loader keeps the config in Target.Config, where Plan finds it; only the
// decode reads attributes by name. It is optional so that a test can register a small kind
// without one.
type Decoder interface {
	Decode(t *Target) (config any, diags hcl.Diagnostics)
}

// Schema declares the attributes and nested blocks a kind accepts.
type Schema struct {
	Attrs  []Attr
	Blocks []BlockSchema
}

// BlockSchema declares a nested block such as `requires { ... }`.
type BlockSchema struct {
	Name     string
	Schema   *Schema
	Repeated bool // more than one allowed
}

// Attr declares one attribute.
type Attr struct {
	Name     string
	Type     AttrType
	Required bool
	// Late attributes may mention `commit`; they are evaluated per commit by the rule with
	// Body.Eval. An attribute that is not Late and mentions `commit` is an error.
	Late bool
	// RefKind, for Label attributes, is the kind the label must name ("" for any).
	RefKind string
	// OneOf lists the allowed values of a string attribute (nil for any).
	OneOf []string
	// Min is the least value of a number attribute (nil for none); write it AtLeast(1).
	Min *float64
	// Positive requires a number or a duration greater than zero.
	Positive bool
	// NonEmpty requires a string, list or map attribute that is set to hold something.
	NonEmpty bool
}

// AtLeast is the value of Attr.Min.
func AtLeast(min float64) *float64 { return &min }

// AttrType is the type an attribute's value is converted to.
type AttrType int

const (
	TypeAny AttrType = iota
	TypeString
	TypeNumber
	TypeInt // a whole number
	TypeBool
	TypeStrings   // list of strings
	TypeStringMap // map of strings
	TypeLabel     // a string naming a target, //pkg:name or :name
	TypePatterns  // list of target patterns
	TypeDuration  // a string such as "5m"
)

func (t AttrType) String() string {
	switch t {
	case TypeString, TypeLabel:
		return "a string"
	case TypeNumber:
		return "a number"
	case TypeInt:
		return "a whole number"
	case TypeBool:
		return "true or false"
	case TypeStrings, TypePatterns:
		return "a list of strings"
	case TypeStringMap:
		return "a map of strings"
	case TypeDuration:
		return `a duration such as "90s" or "5m"`
	}
	return "any value"
}

func (t AttrType) ctyType() cty.Type {
	switch t {
	case TypeString, TypeLabel, TypeDuration:
		return cty.String
	case TypeNumber, TypeInt:
		return cty.Number
	case TypeBool:
		return cty.Bool
	case TypeStrings, TypePatterns:
		return cty.List(cty.String)
	case TypeStringMap:
		return cty.Map(cty.String)
	}
	return cty.DynamicPseudoType
}

func (s *Schema) attr(name string) Attr {
	for _, a := range s.Attrs {
		if a.Name == name {
			return a
		}
	}
	return Attr{Name: name}
}

// hclSchema is the HCL body schema for a kind, plus the for_each meta-argument.
func (s *Schema) hclSchema(topLevel bool) *hcl.BodySchema {
	hs := &hcl.BodySchema{}
	for _, a := range s.Attrs {
		hs.Attributes = append(hs.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	if topLevel {
		hs.Attributes = append(hs.Attributes, hcl.AttributeSchema{Name: "for_each"})
	}
	for _, b := range s.Blocks {
		hs.Blocks = append(hs.Blocks, hcl.BlockHeaderSchema{Type: b.Name})
	}
	return hs
}

// PerCommit is an optional ability of a Kind whose targets make one action per commit and
// side: a generator writes a test for a commit, an environment is built for one side of it.
// Other kinds reach them through Planner.PlanFor, never by importing the rule.
type PerCommit interface {
	PlanFor(p *Planner, t *Target, commit *Action, side string) (*Action, error)
}
