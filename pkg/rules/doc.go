// Package rules is the rule engine: it loads rule files (one YAML file per
// rule, CEL expressions over the facts model), compiles them once in a shared
// environment and evaluates them against a facts.Cluster within a cost budget.
//
// Rules are data, not Go, so that a support engineer can add a check for what
// they just debugged without touching the analyzer; CEL keeps them safe to run
// (no I/O, bounded cost) and type-checked when loaded: a misspelled fact field
// or a match that is not a bool fails at load time with the file, line and
// column of the offending token, not halfway through an analysis.
//
// # Rule files
//
// A rule is the file rules/<id>.yaml:
//
//	id: route-next-hop-wrong          # kebab-case, equals the file name
//	title: Route to a CoreDNS pod goes via the wrong node   # sentence case, no period
//	stage: route                      # service-nat | route | tunnel-endpoint | link | kernel
//	severity: critical                # critical | warning | info
//	severityExpr: item.severity       # optional CEL string, overrides severity per match
//	scope: node                       # node | pair | cluster
//	pairs: tunnelPaths(cluster, node.name, '').map(p, p.to)
//	                                  # pair scope, optional CEL list(string): the peers
//	                                  # to pair node with (default: every other node)
//	whenNoPairs: "'the captures hold no tunnel traffic from this node'"
//	                                  # optional CEL string, with pairs: why a node paired
//	                                  # with no other node is "not checked", not passed
//	notApplicable:                    # optional: why the rule does not apply here at all
//	  reason: "cluster.calicoPolicyOnly ? 'Calico routes no pods: ' + cluster.calicoPolicyOnlyWhy : ''"
//	  evidence: "[cluster.calicoPolicyOnlyRef]"   # optional CEL list(facts.Ref)
//	                                  # (or notApplicable: "<CEL string>", the reason alone)
//	needs: [routes]                   # facts.Node.Has keys; missing -> insufficient-data finding
//	foreach: cluster.coreDNS.filter(p, p.node != node.name)  # optional CEL list; binds item
//	whenEmpty: "size(cluster.coreDNS) == 0 ? 'no CoreDNS pod is known' : ''"
//	                                  # optional CEL string: why an empty foreach is "not checked"
//	variables:                        # optional, in order; each may use the ones before it
//	  - name: r
//	    expr: routeGet(node, item.ip)
//	match: variables.r.via != '' && nodeOwningIP(cluster, variables.r.via) != item.node
//	message: "'route to ' + item.ip + ' goes via ' + variables.r.via"
//	evidence: "[variables.r.ref]"     # optional CEL list(facts.Ref)
//	peer: item.node                   # optional CEL string: the other node
//	same: item.server                 # optional CEL string: findings of this rule with equal
//	                                  # values are one fault, reported once with all evidence
//	insufficient: "item.node == ''"   # optional CEL bool or string (the reason)
//	explains: [route-pod-block-missing]  # rule ids whose findings on the same path follow from this one
//	remediation: |
//	  What to do, from the runbook. {{ cel }} placeholders are filled from the
//	  facts of the finding (real interface names, addresses, install method).
//
// Names bound in expressions: cluster (facts.Cluster) always; node
// (facts.Node) in node and pair scope; peer (facts.Node) in pair scope, which
// visits every ordered pair of distinct nodes, or, when the rule has pairs,
// only the peers pairs names for each node (evaluated once per node, with
// cluster and node bound: a fleet of N nodes has N² pairs, and most pair
// rules have something to judge on a few per node); item when there is a foreach,
// typed as the list's elements; variables.NAME, typed as its expression.
// Field names are the JSON names of package facts. Functions: those of package
// celext, cel-go's strings, lists, sets, cel.bind and two-variable
// comprehension extensions, and optional values. Evidence can be built as
// facts.Ref{node: node.name, file: 'ipvs/ipvsadm-Ln.txt'}; a ref without a
// file is dropped, one without a node is on the finding's node.
//
// # Evaluation
//
// First, per node (node and pair scope: notApplicable sees cluster and node,
// never peer) or once (cluster scope): a non-empty notApplicable reason gives
// one info finding marked NotApplicable, with that reason and evidence, and
// the rule does not run there; needs are not checked either, as data a rule
// would not use is not missing. The report lists such rules as "not
// applicable", neither passed nor "not checked".
//
// For each binding (node, pair, or the cluster) and each foreach item:
// insufficient, if true or a non-empty string, gives an info finding marked
// Insufficient instead of a verdict; otherwise match decides, and a match
// yields a finding with message, evidence, peer and severity. When foreach
// yields nothing, whenEmpty (if given) says why that is a lack of data, not a
// pass: a non-empty string gives an Insufficient finding with that reason.
// Likewise, when pairs names no other node for a node, whenNoPairs (if given;
// cluster and node bound) gives the reason for one Insufficient finding for
// that node, without peer; a node lacking a need is reported once, for that.
// Variables are evaluated lazily, on first use, once per item. needs is
// checked on the node
// (node scope), on each node of the pair (pair scope: one insufficient
// finding per node lacking a source, not one per pair), or on any node
// (cluster scope).
//
// A rule that fails while evaluating (a runtime error, the cost limit, a bug)
// becomes a "rule-error" finding naming the rule, its file:line:col and the
// node; the other nodes and rules still run. CEL cost is bounded twice: per
// evaluation (Options.CostLimit) and per rule and node, over all its
// expressions, variables, foreach items and, for a pair rule, peers
// (Options.RuleCostBudget); a rule that uses up its budget is not checked
// further on that node, and says so. Expressions whose worst-case cost
// cel-go's static estimate bounds (at most 10,000) run without runtime cost
// tracking and are charged that worst case.
//
// # Rule tests
//
// rules/<id>_test.yaml files hold promtool-style tests, run by RunTests; see
// TestFile.
package rules
