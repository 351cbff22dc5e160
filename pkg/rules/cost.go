package rules

import (
	"fmt"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// The runtime cost of an expression whose worst case cel-go cannot bound is
// counted here, not by cel-go's cost tracker: that tracker keeps a stack of
// every value it observes, from which the field selections of a
// comprehension's body are never popped, and searches it linearly for each
// operand, so that its time grows with the square of a comprehension's length
// (v0.31 and v0.32: an `exists` over 8,000 routes took 91 ms tracked, 3 ms
// untracked; over a node's 200,000 routes it would take about a minute for a
// cost of 700,000, under the limit). Counting here is linear: one unit per
// evaluated operation (call, operator, attribute, comprehension) and one per
// ten bytes of each string or bytes value an operation produces, so that a
// string grown by doubling costs what it weighs. Lists need no such charge:
// cel-go concatenates them without copying, and iterating over one costs its
// operations.
//
// The count lives in the activation the expression runs with: one program
// may run on many nodes at once.

// costDecorator wraps the operations of a tracked program so that each
// evaluation charges its activation.
func costDecorator(i interpreter.InterpretableV2) (interpreter.InterpretableV2, error) {
	switch v := i.(type) {
	case interpreter.InterpretableConst, interpreter.InterpretableConstructor:
		// A constant costs nothing; a list or map literal is as large
		// as the rule's text, its elements charged themselves.
		return i, nil
	case *costedAttr, *costedNode:
		return i, nil
	case interpreter.InterpretableAttribute:
		// Selections are later added to the attribute (x.a.b is one
		// attribute with two qualifiers): the wrapper must stay an
		// attribute for them.
		return &costedAttr{InterpretableAttribute: v}, nil
	default:
		return &costedNode{InterpretableV2: i}, nil
	}
}

type costedNode struct {
	interpreter.InterpretableV2
}

func (n *costedNode) Exec(f *interpreter.ExecutionFrame) ref.Val {
	v := n.InterpretableV2.Exec(f)
	charge(f, v)
	return v
}

func (n *costedNode) Eval(a interpreter.Activation) ref.Val {
	return n.Exec(interpreter.AsFrame(a))
}

type costedAttr struct {
	interpreter.InterpretableAttribute
}

// AddQualifier adds to the wrapped attribute and keeps the wrapper in place.
func (n *costedAttr) AddQualifier(q interpreter.Qualifier) (interpreter.Attribute, error) {
	_, err := n.InterpretableAttribute.AddQualifier(q)
	return n, err
}

func (n *costedAttr) Exec(f *interpreter.ExecutionFrame) ref.Val {
	v := n.InterpretableAttribute.Exec(f)
	charge(f, v)
	return v
}

func (n *costedAttr) Eval(a interpreter.Activation) ref.Val {
	return n.Exec(interpreter.AsFrame(a))
}

// charge counts one operation that produced v against the evaluation's
// limit. Past it, the evaluation is cancelled as cel-go cancels one: its
// Eval returns the error.
func charge(f *interpreter.ExecutionFrame, v ref.Val) {
	a := activationOf(f)
	if a == nil {
		return
	}
	c := uint64(1)
	switch s := v.(type) {
	case types.String:
		c += uint64(len(s)) / 10
	case types.Bytes:
		c += uint64(len(s)) / 10
	}
	a.units += c
	if a.units > a.limit {
		panic(interpreter.EvalCancelledError{Cause: interpreter.CostLimitExceeded, Message: a.limitMsg()})
	}
	// The context is checked here rather than by cel-go's interrupt
	// checks, which the wrapped comprehensions no longer make.
	if a.units&1023 < c && a.st.ctx.Done() != nil && a.st.ctx.Err() != nil {
		panic(interpreter.EvalCancelledError{Cause: interpreter.ContextCancelled, Message: "operation interrupted"})
	}
}

// activationOf finds the rule's activation behind a frame: the frame's own,
// or, inside a comprehension, that of a parent frame.
func activationOf(f *interpreter.ExecutionFrame) *activation {
	var x interpreter.Activation = f.Activation
	for depth := 0; x != nil && depth < 64; depth++ {
		switch v := x.(type) {
		case *activation:
			return v
		case *interpreter.ExecutionFrame:
			x = v.Activation
		default:
			x = x.Parent()
		}
	}
	return nil
}

// limitMsg says which limit an evaluation reached: the one of every
// evaluation, or what was left of the rule's budget on this node.
func (a *activation) limitMsg() string {
	if a.limitIsBudget {
		a.bud.reported = true
		return fmt.Sprintf("CEL cost budget of %d per rule and node used up (%d spent): not checked further on this node", a.bud.limit, a.bud.spent+a.units)
	}
	return "operation cancelled: actual cost limit exceeded"
}
