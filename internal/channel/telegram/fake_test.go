package telegram

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const testToken = "123456:TEST-token"

// fakeFile is a file the fake Bot API serves: getFile describes it, the
// file URL serves its bytes.
type fakeFile struct {
	Path string
	Data []byte
	// HideSize leaves file_size out of getFile's answer.
	HideSize bool
}

// fakeCall is one Bot API call the fake received.
type fakeCall struct {
	Method   string
	Params   map[string]string
	FileName string // multipart uploads
	FileType string
	File     []byte
}

// failure is a canned error answer.
type failure struct {
	Status int
	Body   string // a Bot API JSON error; empty: a plain-text body
}

// fakeAPI is a local stand-in for api.telegram.org.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu    sync.Mutex
	files map[string]fakeFile // by file_id
	// anyFile, when set, is served for every file_id not in files.
	anyFile *fakeFile
	calls   []fakeCall
	fail    map[string]failure // by method; "download" for file downloads
	nextID  int64
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, files: map[string]fakeFile{}, fail: map[string]failure{}, nextID: 500}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL }

func (f *fakeAPI) setFail(method string, fl failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = fl
}

func (f *fakeAPI) clearFail(method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.fail, method)
}

func (f *fakeAPI) Calls(method string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAPI) fileByID(id string) (fakeFile, bool) {
	if ff, ok := f.files[id]; ok {
		return ff, true
	}
	if f.anyFile != nil {
		return *f.anyFile, true
	}
	return fakeFile{}, false
}

func writeFailure(w http.ResponseWriter, fl failure) {
	if fl.Body == "" {
		http.Error(w, http.StatusText(fl.Status), fl.Status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(fl.Status)
	io.WriteString(w, fl.Body)
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+testToken+"/"); ok {
		f.calls = append(f.calls, fakeCall{Method: "download", Params: map[string]string{"path": rest}})
		if fl, ok := f.fail["download"]; ok {
			writeFailure(w, fl)
			return
		}
		for _, ff := range f.files {
			if ff.Path == rest {
				w.Write(ff.Data)
				return
			}
		}
		if f.anyFile != nil && f.anyFile.Path == rest {
			w.Write(f.anyFile.Data)
			return
		}
		http.NotFound(w, r)
		return
	}
	method, ok := strings.CutPrefix(r.URL.Path, "/bot"+testToken+"/")
	if !ok {
		writeFailure(w, failure{http.StatusUnauthorized, `{"ok":false,"error_code":401,"description":"Unauthorized"}`})
		return
	}
	call := fakeCall{Method: method, Params: map[string]string{}}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ctype {
	case "application/json":
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			f.t.Errorf("fake: %s: bad JSON: %v", method, err)
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				call.Params[k] = s
			} else {
				b, _ := json.Marshal(v)
				call.Params[k] = string(b)
			}
		}
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			f.t.Errorf("fake: %s: %v", method, err)
			return
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.t.Errorf("fake: %s: part: %v", method, err)
				return
			}
			data, _ := io.ReadAll(p)
			if p.FileName() != "" {
				call.FileName, call.FileType, call.File = p.FileName(), p.Header.Get("Content-Type"), data
				call.Params[p.FormName()] = "<file>"
				continue
			}
			call.Params[p.FormName()] = string(data)
		}
	}
	f.calls = append(f.calls, call)
	if fl, ok := f.fail[method]; ok {
		writeFailure(w, fl)
		return
	}
	var result any
	switch method {
	case "getMe":
		result = map[string]any{"id": 42, "is_bot": true, "first_name": "Balie", "username": "balie_bot"}
	case "setWebhook":
		result = true
	case "getFile":
		ff, ok := f.fileByID(call.Params["file_id"])
		if !ok {
			writeFailure(w, failure{http.StatusBadRequest, `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`})
			return
		}
		res := map[string]any{"file_id": call.Params["file_id"], "file_path": ff.Path}
		if !ff.HideSize {
			res["file_size"] = len(ff.Data)
		}
		result = res
	case "sendMessage", "sendPhoto", "sendDocument":
		f.nextID++
		var chat int64
		fmt.Sscan(call.Params["chat_id"], &chat)
		result = map[string]any{"message_id": f.nextID, "chat": map[string]any{"id": chat, "type": "private"}, "date": 1}
	default:
		writeFailure(w, failure{http.StatusNotFound, `{"ok":false,"error_code":404,"description":"Not Found"}`})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}
