package app

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
)

// TestKBImages: an author uploads an image in the editor, writes it into an
// article as file:<id>, and the published article shows it from /kbfiles to
// anybody; other files and other roles are refused.
func TestKBImages(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		var img bytes.Buffer
		m := image.NewRGBA(image.Rect(0, 0, 8, 8))
		m.Set(2, 2, color.RGBA{G: 200, A: 255})
		if err := png.Encode(&img, m); err != nil {
			t.Fatal(err)
		}
		upload := func(role desk.Role, name string, data []byte) (int, map[string]any) {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			fw, _ := mw.CreateFormFile("file", name)
			fw.Write(data)
			mw.Close()
			req, _ := http.NewRequest("POST", e.srv.URL+"/app/kb/files", &body)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			cookie, csrf := login(t, e, role)
			req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
			req.Header.Set(auth.CSRFHeader, csrf)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out map[string]any
			json.NewDecoder(res.Body).Decode(&out)
			return res.StatusCode, out
		}
		if code, _ := upload(desk.RoleAgent, "fiets.png", img.Bytes()); code != http.StatusForbidden {
			t.Errorf("agent upload = %d, want 403", code)
		}
		if code, _ := upload(desk.RoleSupervisor, "notes.txt", []byte("hello there")); code != http.StatusUnprocessableEntity {
			t.Errorf("text upload = %d, want 422", code)
		}
		code, out := upload(desk.RoleSupervisor, "fiets.png", img.Bytes())
		if code != http.StatusOK {
			t.Fatalf("upload = %d %v", code, out)
		}
		md, _ := out["markdown"].(string)
		url, _ := out["url"].(string)
		if !strings.HasPrefix(md, "![fiets](file:") || !strings.HasPrefix(url, "/kbfiles/") {
			t.Fatalf("upload answer = %v", out)
		}
		art := e.must(desk.RoleSupervisor, "POST", "/api/v1/kb/articles", map[string]any{"locale": "nl",
			"title": "Zadel afstellen", "body": "Zo zit het goed:\n\n" + md, "status": "published"}, 201)
		if html, _ := art["html"].(string); !strings.Contains(html, `src="`+url+`"`) {
			t.Errorf("article html %q does not show %s", html, url)
		}
		res, err := http.Get(e.srv.URL + url) // anonymous
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, img.Bytes()) {
			t.Errorf("GET %s = %d %s, %d bytes", url, res.StatusCode, res.Header.Get("Content-Type"), len(got))
		}
		if res, _ := http.Get(e.srv.URL + "/kbfiles/999999"); res.StatusCode != 404 {
			t.Errorf("missing file = %d, want 404", res.StatusCode)
		}
	})
}
