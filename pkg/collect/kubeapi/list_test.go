package kubeapi

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// pagedServer serves a list of n items named item-0..; mode "paged" honours
// limit and continue, "unpaged" ignores them, "loop" hands out the same
// continue token forever, "huge-item" makes item 1 a 1 MB string, "broken"
// stops mid-item.
func pagedServer(t *testing.T, mode string, n int) *Client {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/denied" {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"kind":"Status","message":"forbidden"}`)
			return
		}
		start, _ := strconv.Atoi(r.URL.Query().Get("continue"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if mode == "unpaged" || limit == 0 {
			start, limit = 0, n
		}
		end := min(start+limit, n)
		cont := ""
		switch {
		case mode == "loop":
			cont = "again"
		case end < n:
			cont = strconv.Itoa(end)
		}
		fmt.Fprintf(w, `{"kind":"ThingList","apiVersion":"v1","metadata":{"continue":%q},"items":[`, cont)
		for i := start; i < end; i++ {
			if i > start {
				io.WriteString(w, ",")
			}
			switch {
			case mode == "huge-item" && i == 1:
				fmt.Fprintf(w, `{"metadata":{"name":"item-%d"},"data":"%s"}`, i, strings.Repeat("x", 1<<20))
			case mode == "broken" && i == 2:
				io.WriteString(w, `{"metadata":{"na`)
				return
			default:
				fmt.Fprintf(w, `{"metadata":{"name":"item-%d"}}`, i)
			}
		}
		io.WriteString(w, "]}")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(srv.Close)
	cl, err := New(&Config{Source: "test", Server: srv.URL, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func TestListPagesStreamsAndStopsAtEachCap(t *testing.T) {
	base := Limits{PageSize: 3, MaxPages: 100, MaxResponse: 1 << 20, MaxTotal: 4 << 20, MaxItem: 64 << 10}
	for _, tc := range []struct {
		name      string
		mode      string
		n         int
		lim       func(Limits) Limits
		stopAfter int // the callback stops after this many items (0: never)
		wantItems int
		wantPages int
		wantErr   string // "" none; else a substring
		wantLimit bool
	}{
		{name: "paged", mode: "paged", n: 10, wantItems: 10, wantPages: 4},
		{name: "empty", mode: "paged", n: 0, wantItems: 0, wantPages: 1},
		{name: "server ignores limit", mode: "unpaged", n: 10, wantItems: 10, wantPages: 1},
		{name: "no paging asked", mode: "paged", n: 10, lim: func(l Limits) Limits { l.PageSize = 0; return l }, wantItems: 10, wantPages: 1},
		{name: "caller stops", mode: "paged", n: 10, stopAfter: 4, wantItems: 4, wantPages: 2},
		{name: "too many pages", mode: "paged", n: 10, lim: func(l Limits) Limits { l.MaxPages = 2; return l }, wantItems: 6, wantPages: 2, wantErr: "more than 2 pages", wantLimit: true},
		{name: "continue token repeated", mode: "loop", n: 3, wantItems: 6, wantPages: 2, wantErr: "repeated the continue token"},
		{name: "item over its cap", mode: "huge-item", n: 5, wantItems: 1, wantPages: 1, wantErr: "item larger than 65536", wantLimit: true},
		{name: "answer over its cap", mode: "unpaged", n: 100000, lim: func(l Limits) Limits { l.MaxResponse = 100 << 10; return l }, wantErr: "answer larger than 102400", wantLimit: true, wantPages: 1, wantItems: -1},
		{name: "list over its cap", mode: "paged", n: 100000, lim: func(l Limits) Limits { l.PageSize = 1000; l.MaxTotal = 100 << 10; return l }, wantErr: "more than 102400 bytes", wantLimit: true, wantPages: 4, wantItems: -1},
		{name: "answer cut mid-item", mode: "broken", n: 5, lim: func(l Limits) Limits { l.PageSize = 0; return l }, wantItems: 2, wantPages: 1, wantErr: "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := pagedServer(t, tc.mode, tc.n)
			lim := base
			if tc.lim != nil {
				lim = tc.lim(base)
			}
			var names []string
			info, err := cl.List(context.Background(), "/things?labelSelector=a%3Db", lim, func(item map[string]any) error {
				md, _ := item["metadata"].(map[string]any)
				name, _ := md["name"].(string)
				names = append(names, name)
				if tc.stopAfter > 0 && len(names) == tc.stopAfter {
					return ErrStop
				}
				return nil
			})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if IsLimit(err) != tc.wantLimit {
				t.Errorf("IsLimit(%v) = %v", err, !tc.wantLimit)
			}
			if tc.wantItems >= 0 && (len(names) != tc.wantItems || info.Items != tc.wantItems) {
				t.Errorf("%d items (info %d), want %d", len(names), info.Items, tc.wantItems)
			}
			if tc.wantItems < 0 && len(names) == 0 {
				t.Error("no item kept before the cap")
			}
			for i, n := range names {
				if tc.mode != "loop" && n != fmt.Sprintf("item-%d", i) {
					t.Fatalf("item %d is %q: order lost", i, n)
				}
			}
			if info.Pages != tc.wantPages {
				t.Errorf("%d pages, want %d", info.Pages, tc.wantPages)
			}
			if info.Kind != "ThingList" || info.Stopped != (tc.stopAfter > 0) {
				t.Errorf("info %+v", info)
			}
		})
	}
}

func TestGetObjectRefusesAnObjectOverItsCapAndDenialIsAStatus(t *testing.T) {
	cl := pagedServer(t, "huge-item", 3)
	if _, err := cl.GetObject(context.Background(), "/thing", Limits{MaxItem: 64 << 10, MaxResponse: 64 << 10}); !IsLimit(err) {
		t.Errorf("a 1 MB answer under a 64 KB cap: %v", err)
	}
	if m, err := cl.GetObject(context.Background(), "/thing", Limits{MaxItem: 4 << 20}); err != nil || m["kind"] != "ThingList" {
		t.Errorf("object %v, %v", m["kind"], err)
	}
	if _, err := cl.GetObject(context.Background(), "/denied", Limits{MaxItem: 1 << 20}); !Denied(err) {
		t.Errorf("403: %v", err)
	}
	if _, _, err := cl.GetText(context.Background(), "/denied", 100); !Denied(err) {
		t.Errorf("403 of a log: %v", err)
	}
	b, cut, err := cl.GetText(context.Background(), "/thing", 100)
	if err != nil || !cut || len(b) != 100 {
		t.Errorf("text: %d bytes, truncated %v, %v", len(b), cut, err)
	}
}
