package celext

import (
	"fmt"
	"math"
	"slices"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// refFields gives facts.Ref its CEL fields node and file. A ref holds them in
// a location shared by every ref into the same file (a fleet's model holds
// millions of refs), not in struct fields of its own, so ext.NativeTypes,
// which reads struct fields, sees only line, packet and text; this provider
// adds the two, reads them through the ref's methods, and builds refs for
// facts.Ref{node: ..., file: ...} literals.
func refFields() cel.EnvOption {
	return func(e *cel.Env) (*cel.Env, error) {
		return cel.CustomTypeProvider(&refProvider{Provider: e.CELTypeProvider(), adapter: e.CELTypeAdapter()})(e)
	}
}

type refProvider struct {
	types.Provider
	adapter types.Adapter
}

// refField is how node and file are read from a facts.Ref value.
func refField(get func(facts.Ref) string) *types.FieldType {
	str := func(target any) (string, bool) {
		switch r := target.(type) {
		case facts.Ref:
			return get(r), true
		case *facts.Ref:
			if r != nil {
				return get(*r), true
			}
		}
		return "", false
	}
	return &types.FieldType{
		Type: types.StringType,
		IsSet: func(target any) bool {
			s, _ := str(target)
			return s != ""
		},
		GetFrom: func(target any) (any, error) {
			s, ok := str(target)
			if !ok {
				return nil, fmt.Errorf("%T is not a %s", target, RefTypeName)
			}
			return s, nil
		},
	}
}

var (
	refNode = refField(facts.Ref.Node)
	refFile = refField(facts.Ref.File)
)

func (p *refProvider) FindStructFieldNames(t string) ([]string, bool) {
	names, ok := p.Provider.FindStructFieldNames(t)
	if ok && t == RefTypeName {
		names = append(slices.Clone(names), "node", "file")
	}
	return names, ok
}

func (p *refProvider) FindStructFieldType(t, field string) (*types.FieldType, bool) {
	if t == RefTypeName {
		switch field {
		case "node":
			return refNode, true
		case "file":
			return refFile, true
		}
	}
	return p.Provider.FindStructFieldType(t, field)
}

func (p *refProvider) NewValue(t string, fields map[string]ref.Val) ref.Val {
	if t != RefTypeName {
		return p.Provider.NewValue(t, fields)
	}
	str := func(k string) (string, ref.Val) {
		v, ok := fields[k]
		if !ok {
			return "", nil
		}
		s, ok := v.(types.String)
		if !ok {
			return "", types.NewErr("%s.%s: want a string, got %s", RefTypeName, k, v.Type().TypeName())
		}
		return string(s), nil
	}
	num := func(k string) (int, ref.Val) {
		v, ok := fields[k]
		if !ok {
			return 0, nil
		}
		n, ok := v.(types.Int)
		if !ok {
			return 0, types.NewErr("%s.%s: want an int, got %s", RefTypeName, k, v.Type().TypeName())
		}
		if n < 0 || n > math.MaxInt32 {
			return 0, types.NewErr("%s.%s: %d is out of range", RefTypeName, k, int64(n))
		}
		return int(n), nil
	}
	node, err := str("node")
	if err != nil {
		return err
	}
	file, err := str("file")
	if err != nil {
		return err
	}
	text, err := str("text")
	if err != nil {
		return err
	}
	line, err := num("line")
	if err != nil {
		return err
	}
	packet, err := num("packet")
	if err != nil {
		return err
	}
	r := facts.NewRef(node, file, line, text)
	r.Packet = int32(packet)
	return p.adapter.NativeToValue(r)
}

// typeRegistry is what cel.Types asks of a provider (libraries declare
// their types through it after this one wraps the registry).
type typeRegistry interface {
	RegisterDescriptor(protoreflect.FileDescriptor) error
	RegisterType(...ref.Type) error
}

func (p *refProvider) RegisterDescriptor(fd protoreflect.FileDescriptor) error {
	r, ok := p.Provider.(typeRegistry)
	if !ok {
		return fmt.Errorf("provider %T takes no type descriptors", p.Provider)
	}
	return r.RegisterDescriptor(fd)
}

func (p *refProvider) RegisterType(ts ...ref.Type) error {
	r, ok := p.Provider.(typeRegistry)
	if !ok {
		return fmt.Errorf("provider %T takes no types", p.Provider)
	}
	return r.RegisterType(ts...)
}
