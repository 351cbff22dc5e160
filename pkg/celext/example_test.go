package celext_test

import (
	"fmt"

	"github.com/google/cel-go/cel"

	"github.com/podnetdiag/podnetdiag/pkg/celext"
	"github.com/podnetdiag/podnetdiag/pkg/facts"
)

// A rule asks which route the kernel picks for a CoreDNS pod and which node
// owns its next hop.
func ExampleLib() {
	env, err := cel.NewEnv(celext.Lib(),
		cel.Variable("cluster", celext.ClusterType),
		cel.Variable("node", celext.NodeType))
	if err != nil {
		panic(err)
	}
	ast, iss := env.Compile(`nodeOwningIP(cluster, routeGet(node, '10.244.1.5').via)`)
	if iss.Err() != nil {
		panic(iss.Err())
	}
	prg, err := env.Program(ast)
	if err != nil {
		panic(err)
	}
	c := &facts.Cluster{Nodes: []facts.Node{
		{Name: "node-a", Routes: []facts.Route{
			{Dst: "0.0.0.0/0", Default: true, Via: "10.0.0.1"},
			{Dst: "10.244.1.0/26", Via: "10.0.0.12", Dev: "tunl0"},
		}},
		{Name: "node-b", IPs: []string{"10.0.0.12"}},
	}}
	out, _, err := prg.Eval(map[string]any{"cluster": c, "node": &c.Nodes[0]})
	fmt.Println(out, err)
	// Output: node-b <nil>
}
