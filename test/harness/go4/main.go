// Command rop-go4-harness drives Apache RocketMQ's Go client (github.com/apache/rocketmq-client-go/v2, the 4.x
// remoting protocol) for the end-to-end tests, as test/harness/java does for the Java client. Every result is one
// JSON object per line on stdout, the only thing written there (non-ASCII escaped as \uXXXX, like the Java
// harness); the client's own log goes to stderr at level error (ROCKETMQ_GO_LOG_LEVEL overrides it).
//
// Usage:
//
//	rop-go4-harness produce --namesrv H:P --topic T --count N [--tags A,B] [--filter-props] [--body-size N] [--group G]
//	rop-go4-harness push-consume --namesrv H:P --group G --topic T [--sql EXPR | --sub TAGEXPR] [--from first|last]
//	    [--timeout-ms N] [--instance NAME] [--broadcast] [--fail-times N]
//
// push-consume runs until stdin closes or --timeout-ms passes (120 s by default), then shuts the consumer down.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apache/rocketmq-client-go/v2/rlog"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rop-go4-harness produce|push-consume --namesrv host:port --topic T ...")
		os.Exit(2)
	}
	if os.Getenv("ROCKETMQ_GO_LOG_LEVEL") == "" {
		rlog.SetLogLevel("error")
	}
	a, err := parseArgs(os.Args[2:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var code int
	switch os.Args[1] {
	case "produce":
		code = produce(a)
	case "push-consume":
		code = pushConsume(a)
	default:
		fmt.Fprintln(os.Stderr, "unknown subcommand "+os.Args[1])
		code = 2
	}
	// Client goroutines (heartbeats, route updates) may still run; leave without waiting for them.
	os.Exit(code)
}

// args are a command's options: `--key value` pairs, a key may repeat (the last one counts), and a `--key`
// followed by another `--key` or by nothing is a flag ("true"), as test/harness/common's Args.
type args map[string]string

func parseArgs(argv []string) (args, error) {
	a := args{}
	for i := 0; i < len(argv); i++ {
		if !strings.HasPrefix(argv[i], "--") {
			return nil, fmt.Errorf("expected --key at %s", argv[i])
		}
		key := argv[i][2:]
		if i+1 >= len(argv) || strings.HasPrefix(argv[i+1], "--") {
			a[key] = "true"
		} else {
			i++
			a[key] = argv[i]
		}
	}
	return a, nil
}

func (a args) has(k string) bool { _, ok := a[k]; return ok }

func (a args) str(k, dflt string) string {
	if v, ok := a[k]; ok {
		return v
	}
	return dflt
}

// need is a required option; its absence is a usage error.
func (a args) need(k string) string {
	v, ok := a[k]
	if !ok {
		fail("options", fmt.Errorf("missing --%s", k))
	}
	return v
}

func (a args) getInt(k string, dflt int) int {
	v, ok := a[k]
	if !ok {
		return dflt
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		fail("options", fmt.Errorf("--%s takes a number, not %s", k, v))
	}
	return n
}

func (a args) getBool(k string) bool {
	switch a.str(k, "false") {
	case "true":
		return true
	case "false":
		return false
	}
	fail("options", fmt.Errorf("--%s takes true or false, not %s", k, a[k]))
	return false
}

// list is a comma-separated value as its non-empty parts (`--tags A,B`).
func (a args) list(k string) []string {
	var out []string
	for _, s := range strings.Split(a.str(k, ""), ",") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// event is one JSON object of the output, its fields in the order they were put.
type event struct {
	keys []string
	vals map[string]any
}

func newEvent(name string) *event {
	return (&event{vals: map[string]any{}}).put("event", name)
}

func (e *event) put(k string, v any) *event {
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
	return e
}

var out sync.Mutex

func emit(e *event) {
	var b bytes.Buffer
	b.WriteByte('{')
	for n, k := range e.keys {
		if n > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		vj, err := json.Marshal(e.vals[k])
		if err != nil {
			vj, _ = json.Marshal(err.Error())
		}
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	b.WriteString("}\n")
	line := asciiOnly(b.Bytes())
	out.Lock()
	defer out.Unlock()
	os.Stdout.Write(line)
}

// asciiOnly escapes every non-ASCII character of a JSON text as \uXXXX (they only occur inside its strings).
func asciiOnly(j []byte) []byte {
	var b bytes.Buffer
	for len(j) > 0 {
		r, size := utf8.DecodeRune(j)
		j = j[size:]
		switch {
		case r < utf8.RuneSelf:
			b.WriteByte(byte(r))
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.Bytes()
}

// fail reports an error event and exits 1.
func fail(during string, err error) {
	emit(newEvent("error").put("during", during).put("message", err.Error()))
	os.Exit(1)
}

// awaitStdinCloseOr returns once stdin has ended (the test closes it to stop a command, and it ends too if the test
// process dies) or after timeout, whichever comes first.
func awaitStdinCloseOr(timeout time.Duration) {
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(timeout):
	}
}
