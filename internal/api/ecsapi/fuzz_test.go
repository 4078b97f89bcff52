package ecsapi

// FuzzActions is S8 of ecs-behaviour.md §6.4: arbitrary request bodies
// sent to every operation the ECS service routes, through the whole
// awsjson handler chain (body cap, SigV4 in strict mode, routing,
// decoding, validation, the handlers) over a real embedded etcd. For every
// input the server must answer without a panic and without a 5xx, and
// every refusal must be a JSON {"__type","message"} body. Besides raw
// bytes, the fuzzer edits valid requests structurally (editJSON), since
// byte flips mostly just break the JSON.
//
//	go test -run '^$' -fuzz '^FuzzActions$' -fuzztime 5m ./internal/api/ecsapi/

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/berth-org/berth/internal/awsjson"
	"github.com/berth-org/berth/internal/store"
	"github.com/berth-org/berth/internal/syncbuf"
	"github.com/berth-org/berth/internal/wire"
)

const (
	fuzzKeyID   = "AKIDFUZZ"
	fuzzSecret  = "fuzz-secret"
	fuzzCluster = "fuzz"
	fuzzFamily  = "fuzz-web"
	fuzzService = "fuzz-svc"
	// fuzzRequestTimeout bounds one fuzzed request. Every operation is a
	// few etcd round trips (milliseconds); a request that takes this long
	// is hung, and fails the input as the ServerException it returns. It
	// is under the fuzz worker's own 10 s limit per input, past which the
	// worker dies saying only "deadlocked!".
	fuzzRequestTimeout = 8 * time.Second
	// fuzzSetupTimeout bounds the embedded etcd start and the fixtures.
	fuzzSetupTimeout = 2 * time.Minute
)

// fuzzServer is the handler chain under test and what its fixtures are
// called, for the seeds to name.
type fuzzServer struct {
	handler  http.Handler
	ops      []string // every routed operation, sorted
	logs     *syncbuf.Buffer
	instance string // the fixture container instance's id
	task     string // the fixture task's id
}

// newFuzzServer starts an embedded etcd and the ECS API over it, once per
// fuzz process, and creates the fixtures the seeds name: cluster "fuzz"
// with one connected instance, family "fuzz-web" at revisions 1 and 2,
// service "fuzz-svc" and one task.
func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	setup, setupDone := context.WithTimeout(ctx, fuzzSetupTimeout)
	defer setupDone()
	logs := &syncbuf.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	etcd, err := store.StartEmbedded(setup, f.TempDir(), log)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = etcd.Close() })
	st := store.New(etcd.Client())
	api, err := New(ctx, Config{Store: st, ARNs: testARNs, Log: log})
	if err != nil {
		f.Fatal(err)
	}
	svc := api.Service()
	verifier := &awsjson.Verifier{Mode: awsjson.AuthStrict, Credentials: awsjson.StaticCredentials{fuzzKeyID: fuzzSecret}}
	s := &fuzzServer{handler: awsjson.NewServer(verifier, log, svc), ops: svc.Operations(), logs: logs}

	s.mustCall(f, "CreateCluster", `{"clusterName":"fuzz"}`)
	s.mustCall(f, "RegisterTaskDefinition", fuzzTaskDefinition)
	var td wire.RegisterTaskDefinitionResponse
	s.mustCall(f, "RegisterTaskDefinition", fuzzTaskDefinition, &td)
	// The instance has every attribute the definition requires.
	instance := &wire.RegisterContainerInstanceRequest{}
	if err := json.Unmarshal([]byte(fuzzInstance), instance); err != nil {
		f.Fatal(err)
	}
	instance.Attributes = append(instance.Attributes, td.TaskDefinition.RequiresAttributes...)
	var reg wire.RegisterContainerInstanceResponse
	s.mustCall(f, "RegisterContainerInstance", asJSON(instance), &reg)
	instanceARN := str(reg.ContainerInstance.ContainerInstanceArn)
	s.instance = instanceARN[strings.LastIndex(instanceARN, "/")+1:]
	// Connected, as the agent session layer marks it, so tasks place.
	if _, err := st.Update(setup, func(tx *store.Tx) error {
		i, err := tx.GetInstance(fuzzCluster, s.instance)
		if err != nil {
			return err
		}
		i.AgentConnected = true
		i.Version++
		return tx.PutInstance(i)
	}); err != nil {
		f.Fatal(err)
	}
	s.mustCall(f, "CreateService", `{"cluster":"fuzz","serviceName":"fuzz-svc","taskDefinition":"fuzz-web","desiredCount":1}`)
	var run wire.RunTaskResponse
	s.mustCall(f, "RunTask", `{"cluster":"fuzz","taskDefinition":"fuzz-web:1","startedBy":"fuzz"}`, &run)
	if len(run.Tasks) != 1 {
		f.Fatalf("fixture RunTask placed %d tasks; failures %s", len(run.Tasks), asJSON(run.Failures))
	}
	taskARN := str(run.Tasks[0].TaskArn)
	s.task = taskARN[strings.LastIndex(taskARN, "/")+1:]
	return s
}

// fuzzTaskDefinition uses most container features.
const fuzzTaskDefinition = `{"family":"fuzz-web","networkMode":"bridge","cpu":"512","memory":"1024",
"containerDefinitions":[
 {"name":"app","image":"nginx:1.27","cpu":256,"memory":256,"memoryReservation":128,"essential":true,
  "portMappings":[{"containerPort":80,"hostPort":0,"protocol":"tcp"}],
  "environment":[{"name":"A","value":"1"}],
  "healthCheck":{"command":["CMD-SHELL","true"],"interval":5,"timeout":2,"retries":1,"startPeriod":0},
  "dependsOn":[{"containerName":"init","condition":"COMPLETE"}],
  "mountPoints":[{"sourceVolume":"data","containerPath":"/data"}],
  "logConfiguration":{"logDriver":"json-file","options":{"max-size":"10m"}},
  "ulimits":[{"name":"nofile","softLimit":1024,"hardLimit":2048}],
  "links":["init"],"stopTimeout":10},
 {"name":"init","image":"busybox","memory":64,"essential":false,"command":["true"]}],
"volumes":[{"name":"data","host":{"sourcePath":"/tmp"}}],
"placementConstraints":[{"type":"memberOf","expression":"attribute:ecs.os-type == linux"}],
"tags":[{"key":"team","value":"fuzz"}]}`

const fuzzInstance = `{"cluster":"fuzz","totalResources":[
 {"name":"CPU","type":"INTEGER","integerValue":4096},{"name":"MEMORY","type":"INTEGER","integerValue":8192},
 {"name":"PORTS","type":"STRINGSET","stringSetValue":["22"]},{"name":"PORTS_UDP","type":"STRINGSET","stringSetValue":[]}],
 "attributes":[{"name":"ecs.os-type","value":"linux"},{"name":"ecs.availability-zone","value":"az-1"}]}`

// call sends one signed request for op and returns the recorded response.
func (s *fuzzServer) call(t testing.TB, op string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), fuzzRequestTimeout)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", wire.ECSTargetPrefix+"."+op)
	creds := aws.Credentials{AccessKeyID: fuzzKeyID, SecretAccessKey: fuzzSecret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, r, payloadHash(body), "ecs", testARNs.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, r)
	return rec
}

// mustCall sends a fixture request, requires a 200, and decodes the
// response into out, if given.
func (s *fuzzServer) mustCall(t testing.TB, op, body string, out ...any) {
	t.Helper()
	rec := s.call(t, op, []byte(body))
	if rec.Code != http.StatusOK {
		t.Fatalf("fixture %s: %d %s", op, rec.Code, rec.Body)
	}
	for _, o := range out {
		if err := json.Unmarshal(rec.Body.Bytes(), o); err != nil {
			t.Fatalf("fixture %s: %v", op, err)
		}
	}
}

// operation maps a fuzzed action name to a routed operation: itself when
// routed, else one picked by its hash, so that mutated names still reach a
// handler.
func (s *fuzzServer) operation(action string) string {
	if _, ok := slices.BinarySearch(s.ops, action); ok {
		return action
	}
	h := fnv.New32a()
	h.Write([]byte(action))
	return s.ops[h.Sum32()%uint32(len(s.ops))]
}

// seeds are a valid request for every operation berth implements, naming
// the fixtures, then mutations of them the fuzzer would take long to find:
// wrong JSON types, nulls, out-of-range numbers, oversized lists.
func (s *fuzzServer) seeds() map[string][]string {
	arn := func(kind, name string) string {
		return fmt.Sprintf("arn:aws:ecs:%s:%s:%s/%s", testARNs.Region, testARNs.Account, kind, name)
	}
	seeds := map[string][]string{
		"CreateCluster": {`{"clusterName":"fuzz-new","tags":[{"key":"k","value":"v"}],"settings":[{"name":"containerInsights","value":"enabled"}]}`,
			`{"clusterName":""}`, `{"clusterName":null}`, `{"tags":[{}]}`},
		"DescribeClusters":      {`{"clusters":["fuzz","default","` + arn("cluster", "fuzz") + `"],"include":["TAGS","SETTINGS","STATISTICS","ATTACHMENTS","CONFIGURATIONS"]}`, `{"clusters":[null]}`},
		"ListClusters":          {`{"maxResults":1}`, `{"maxResults":-1,"nextToken":"!!"}`, `{"maxResults":1e99}`},
		"UpdateCluster":         {`{"cluster":"fuzz","settings":[{"name":"containerInsights","value":"disabled"}]}`},
		"UpdateClusterSettings": {`{"cluster":"fuzz","settings":[{"name":"containerInsights","value":"enhanced"}]}`, `{"cluster":"fuzz","settings":[]}`},
		"DeleteCluster":         {`{"cluster":"fuzz-new"}`, `{"cluster":"fuzz"}`},
		"RegisterContainerInstance": {fuzzInstance, `{"cluster":"fuzz","totalResources":[{"name":"CPU","type":"INTEGER","integerValue":-1}]}`,
			`{"totalResources":[{"name":"PORTS","type":"STRINGSET","stringSetValue":["x","70000"]}]}`},
		// Not the fixture instance: a deregistered fixture would leave the
		// rest of the run without one.
		"DeregisterContainerInstance":   {`{"cluster":"fuzz","containerInstance":"00000000000000000000000000000000","force":true}`},
		"DescribeContainerInstances":    {`{"cluster":"fuzz","containerInstances":["` + s.instance + `","` + arn("container-instance", "fuzz/"+s.instance) + `"],"include":["TAGS"]}`},
		"ListContainerInstances":        {`{"cluster":"fuzz","filter":"attribute:ecs.os-type == linux and runningTasksCount > 0","status":"ACTIVE","maxResults":5}`, `{"filter":"((("}`},
		"UpdateContainerInstancesState": {`{"cluster":"fuzz","containerInstances":["` + s.instance + `"],"status":"DRAINING"}`, `{"cluster":"fuzz","containerInstances":["` + s.instance + `"],"status":"ACTIVE"}`},
		"PutAttributes": {`{"cluster":"fuzz","attributes":[{"name":"stack","value":"prod","targetType":"container-instance","targetId":"` + s.instance + `"}]}`,
			`{"cluster":"fuzz","attributes":[{"name":"stack","targetId":"` + arn("task", "fuzz/"+s.task) + `"}]}`},
		"DeleteAttributes": {`{"cluster":"fuzz","attributes":[{"name":"stack","targetType":"container-instance","targetId":"` + s.instance + `"}]}`},
		"ListAttributes":   {`{"cluster":"fuzz","targetType":"container-instance","attributeName":"stack","attributeValue":"prod","maxResults":2}`},
		"CreateService": {`{"cluster":"fuzz","serviceName":"fuzz-svc2","taskDefinition":"fuzz-web","desiredCount":2,"clientToken":"t",
"deploymentConfiguration":{"maximumPercent":200,"minimumHealthyPercent":50,"deploymentCircuitBreaker":{"enable":true,"rollback":true}},
"placementStrategy":[{"type":"spread","field":"attribute:ecs.availability-zone"},{"type":"binpack","field":"memory"}],
"placementConstraints":[{"type":"memberOf","expression":"attribute:stack == prod"},{"type":"distinctInstance"}],
"tags":[{"key":"k","value":"v"}],"propagateTags":"SERVICE","enableECSManagedTags":true}`,
			`{"cluster":"fuzz","serviceName":"fuzz-daemon","taskDefinition":"fuzz-web:2","schedulingStrategy":"DAEMON"}`,
			`{"serviceName":"x","taskDefinition":"fuzz-web","desiredCount":2147483647}`},
		"UpdateService": {`{"cluster":"fuzz","service":"fuzz-svc","desiredCount":2,"taskDefinition":"fuzz-web:1","forceNewDeployment":true,
"deploymentConfiguration":{"maximumPercent":100,"minimumHealthyPercent":0},"placementStrategy":[{"type":"random"}]}`,
			`{"cluster":"fuzz","service":"` + arn("service", "fuzz/fuzz-svc") + `","desiredCount":-1}`},
		"DeleteService":    {`{"cluster":"fuzz","service":"fuzz-svc2","force":true}`},
		"DescribeServices": {`{"cluster":"fuzz","services":["fuzz-svc","nope"],"include":["TAGS"]}`},
		"ListServices":     {`{"cluster":"fuzz","launchType":"EC2","schedulingStrategy":"REPLICA","maxResults":10}`},
		"PutAccountSetting": {`{"name":"serviceLongArnFormat","value":"enabled"}`,
			`{"name":"containerInsights","value":"enabled","principalArn":"arn:aws:iam::000000000000:user/u"}`},
		"PutAccountSettingDefault": {`{"name":"containerInsights","value":"enabled"}`},
		"DeleteAccountSetting":     {`{"name":"containerInsights"}`},
		"ListAccountSettings":      {`{"name":"serviceLongArnFormat","value":"enabled","effectiveSettings":true,"maxResults":10}`},
		"TagResource":              {`{"resourceArn":"` + arn("cluster", "fuzz") + `","tags":[{"key":"team","value":"a"}]}`},
		"UntagResource":            {`{"resourceArn":"` + arn("service", "fuzz/fuzz-svc") + `","tagKeys":["team"]}`},
		"ListTagsForResource": {`{"resourceArn":"` + arn("task-definition", "fuzz-web:1") + `"}`,
			`{"resourceArn":"` + arn("task", "fuzz/"+s.task) + `"}`, `{"resourceArn":"arn:aws:ecs:::"}`},
		"RegisterTaskDefinition": {fuzzTaskDefinition,
			`{"family":"fuzz-fg","requiresCompatibilities":["FARGATE"],"networkMode":"awsvpc","cpu":"1 vCPU","memory":"2 GB","pidMode":"task",
"containerDefinitions":[{"name":"a","image":"nginx","portMappings":[{"containerPortRange":"8000-8010"}]}]}`,
			`{"family":"x","containerDefinitions":[{"name":"a","image":"b","memory":6,"healthCheck":{"command":["NONE"],"interval":301}}]}`},
		"DescribeTaskDefinition":     {`{"taskDefinition":"fuzz-web:1","include":["TAGS"]}`, `{"taskDefinition":"` + arn("task-definition", "fuzz-web:2") + `"}`},
		"ListTaskDefinitions":        {`{"familyPrefix":"fuzz-web","status":"ACTIVE","sort":"DESC","maxResults":1}`},
		"ListTaskDefinitionFamilies": {`{"familyPrefix":"fuzz","status":"ALL","maxResults":1}`},
		"DeregisterTaskDefinition":   {`{"taskDefinition":"fuzz-web:2"}`, `{"taskDefinition":"fuzz-web:0"}`},
		"DeleteTaskDefinitions":      {`{"taskDefinitions":["fuzz-web:2","fuzz-web","nope:1"]}`},
		"RunTask": {`{"cluster":"fuzz","taskDefinition":"fuzz-web","count":2,"startedBy":"fuzz","group":"g","clientToken":"tok",
"overrides":{"containerOverrides":[{"name":"app","command":["sh"],"environment":[{"name":"A","value":"2"}],"cpu":10,"memory":64}],"cpu":"512","memory":"1024"},
"placementStrategy":[{"type":"binpack","field":"memory"}],"placementConstraints":[{"type":"memberOf","expression":"attribute:ecs.os-type == linux"}],
"tags":[{"key":"k","value":"v"}],"enableECSManagedTags":true,"propagateTags":"TASK_DEFINITION"}`,
			`{"cluster":"fuzz","taskDefinition":"fuzz-web","count":11}`, `{"taskDefinition":"fuzz-web","launchType":"FARGATE"}`},
		"StartTask":     {`{"cluster":"fuzz","taskDefinition":"fuzz-web","containerInstances":["` + s.instance + `"],"startedBy":"fuzz"}`},
		"StopTask":      {`{"cluster":"fuzz","task":"` + s.task + `","reason":"fuzz"}`},
		"DescribeTasks": {`{"cluster":"fuzz","tasks":["` + s.task + `","` + arn("task", "fuzz/"+s.task) + `"],"include":["TAGS"]}`},
		"ListTasks": {`{"cluster":"fuzz","family":"fuzz-web","desiredStatus":"RUNNING","containerInstance":"` + s.instance + `","startedBy":"fuzz","launchType":"EC2"}`,
			`{"cluster":"fuzz","serviceName":"fuzz-svc","maxResults":1}`},
	}
	// Every operation, including those berth does not implement, gets a
	// bare request, and every seed is also tried with its JSON types
	// broken.
	for _, op := range s.ops {
		seeds[op] = append(seeds[op], `{}`, `{"cluster":1,"maxResults":"x","tags":{},"include":"TAGS"}`, `[]`, ``)
	}
	return seeds
}

// FuzzActions sends body to the operation action names. Byte-level
// mutation of JSON mostly yields malformed JSON, so edits, when not empty,
// also change the body structurally: see editJSON.
func FuzzActions(f *testing.F) {
	s := newFuzzServer(f)
	seeds := s.seeds()
	for i, op := range slices.Sorted(maps.Keys(seeds)) {
		for j, b := range seeds[op] {
			f.Add(op, []byte(b), []byte{})
			f.Add(op, []byte(b), []byte{byte(i), byte(j), byte(i + j), byte(3 * j), 0x80 | byte(i), byte(j)})
		}
	}
	palette := s.palette(seeds)
	f.Fuzz(func(t *testing.T, action string, body, edits []byte) {
		op := s.operation(action)
		body = palette.editJSON(body, edits)
		s.logs.Reset()
		rec := s.call(t, op, body)
		if problem := responseProblem(rec, len(body)); problem != "" {
			t.Fatalf("%s with body %q: %s\nresponse %d: %s\nserver log:\n%s", op, body, problem, rec.Code, rec.Body, tail(s.logs.String(), 4000))
		}
	})
}

// palette is what structural edits put into a request: values that probe
// types, ranges and the fixtures, and the member names the seeds use.
type palette struct {
	values  []any
	members []string
}

func (s *fuzzServer) palette(seeds map[string][]string) palette {
	p := palette{values: []any{
		nil, true, false, json.Number("0"), json.Number("-1"), json.Number("1"), json.Number("10"), json.Number("101"),
		json.Number("2147483647"), json.Number("2147483648"), json.Number("-2147483649"), json.Number("9223372036854775808"),
		json.Number("1e308"), json.Number("1.5"), json.Number("-0"),
		"", " ", "a", strings.Repeat("a", 256), strings.Repeat("a", 2049), "\x00", "ሴ", "%", "*", "-", ":", "/",
		"fuzz", "default", "fuzz-web", "fuzz-web:1", "fuzz-web:0", "fuzz-web:99999999999", "fuzz-svc", s.instance, s.task,
		testARNs.Cluster(fuzzCluster), testARNs.Service(fuzzCluster, fuzzService), testARNs.TaskDefinition(fuzzFamily, 1),
		testARNs.ContainerInstance(fuzzCluster, s.instance), testARNs.Task(fuzzCluster, s.task), "arn:aws:ecs:us-east-1:1:cluster/fuzz",
		"attribute:ecs.os-type == linux", "memberOf", "distinctInstance", "spread", "binpack", "random", "instanceId", "host",
		"EC2", "FARGATE", "EXTERNAL", "DAEMON", "REPLICA", "ACTIVE", "DRAINING", "INACTIVE", "STOPPED", "RUNNING",
		"awsvpc", "bridge", "none", "CMD", "NONE", "START", "HEALTHY", "tcp", "udp", "TAGS", "-1", "1e9", "0x10", "1 vCPU", "1GB",
		[]any{}, []any{nil}, []any{""}, []any{map[string]any{}}, map[string]any{}, map[string]any{"": nil},
		slices.Repeat([]any{"x"}, 101),
	}}
	names := map[string]bool{}
	for _, bodies := range seeds {
		for _, b := range bodies {
			collectMembers(b, names)
		}
	}
	p.members = slices.Sorted(maps.Keys(names))
	return p
}

func collectMembers(body string, names map[string]bool) {
	var doc any
	if json.Unmarshal([]byte(body), &doc) != nil {
		return
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				names[k] = true
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
}

// maxJSONEdits bounds the structural edits of one input, which keeps each
// input to one request of ordinary size.
const maxJSONEdits = 16

// editJSON applies edits to body when body is a JSON document, three bytes
// an edit: the first picks a node (in document order, members by name),
// the second a value from the palette and, with its top bit set, the
// insertion of a member named by the third (in an object node) instead of
// replacing the node. A body that is not JSON, or no edits, is sent as is.
func (p palette) editJSON(body, edits []byte) []byte {
	if len(edits) < 3 {
		return body
	}
	edits = edits[:min(len(edits), 3*maxJSONEdits)]
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return body
	}
	for i := 0; i+2 < len(edits); i += 3 {
		nodes := jsonNodes(&doc)
		n := nodes[int(edits[i])%len(nodes)]
		value := cloneJSON(p.values[int(edits[i+1]&0x7f)%len(p.values)])
		obj, isObj := n.get().(map[string]any)
		if edits[i+1]&0x80 != 0 && isObj {
			obj[p.members[int(edits[i+2])%len(p.members)]] = value
			continue
		}
		n.set(value)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return out
}

// cloneJSON deep-copies a palette value, so that edits never share (or
// nest into itself) one list or object.
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = cloneJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSON(e)
		}
		return out
	default:
		return v
	}
}

// jsonNode reads and replaces one node of a decoded JSON document.
type jsonNode struct {
	get func() any
	set func(any)
}

// jsonNodes lists every node of *doc, the root first, members in name
// order.
func jsonNodes(doc *any) []jsonNode {
	nodes := []jsonNode{{get: func() any { return *doc }, set: func(v any) { *doc = v }}}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				nodes = append(nodes, jsonNode{get: func() any { return v[k] }, set: func(e any) { v[k] = e }})
				walk(v[k])
			}
		case []any:
			for i := range v {
				nodes = append(nodes, jsonNode{get: func() any { return v[i] }, set: func(e any) { v[i] = e }})
				walk(v[i])
			}
		}
	}
	walk(*doc)
	return nodes
}

// responseProblem says what is wrong with a response, or "". A request is
// either answered 200 with a JSON object, or refused with 400 (413 when
// the body is over the cap) and a JSON {"__type","message"} whose type is
// also in X-Amzn-ErrorType.
func responseProblem(rec *httptest.ResponseRecorder, bodyLen int) string {
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		return fmt.Sprintf("the response body is not a JSON object: %v", err)
	}
	switch {
	case rec.Code == http.StatusOK:
		return ""
	case rec.Code >= 500:
		return "a 5xx"
	case rec.Code == http.StatusRequestEntityTooLarge && bodyLen <= awsjson.MaxBodyBytes:
		return "413 for a body under the cap"
	case rec.Code != http.StatusBadRequest && rec.Code != http.StatusRequestEntityTooLarge:
		return "a status other than 200, 400 and 413"
	}
	typ, _ := out["__type"].(string)
	msg, _ := out["message"].(string)
	switch {
	case typ == "":
		return "no __type"
	case msg == "":
		return "no message"
	case rec.Header().Get("X-Amzn-ErrorType") != typ:
		return fmt.Sprintf("X-Amzn-ErrorType %q differs from __type %q", rec.Header().Get("X-Amzn-ErrorType"), typ)
	}
	return ""
}

func payloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
