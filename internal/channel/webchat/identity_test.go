package webchat

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/idtoken"
)

const idSecret = "company-site-identity-secret"

// withIdentitySecret gives the test inbox its signing secret.
func (e *env) withIdentitySecret() {
	e.t.Helper()
	ctx := context.Background()
	in, err := e.st.InboxByKey(ctx, inboxKey)
	if err != nil {
		e.t.Fatal(err)
	}
	in.Settings = map[string]string{SettingIdentitySecret: idSecret}
	if err := e.st.UpdateInbox(ctx, in); err != nil {
		e.t.Fatal(err)
	}
}

func signed(t *testing.T, secret string, c idtoken.Claims) string {
	t.Helper()
	if c.Exp == 0 {
		c.Exp = time.Now().Add(time.Hour).Unix()
	}
	tok, err := idtoken.Sign(secret, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestIdentifyLinksVerifiedVisitor(t *testing.T) {
	e := newEnv(t)
	e.withIdentitySecret()
	ctx := context.Background()
	// Els is a known customer, by her email address.
	els := &desk.Contact{Name: "Els", Email: "els@example.nl"}
	e.st.CreateContact(ctx, els)
	e.st.AddIdentity(ctx, &desk.Identity{ContactID: els.ID, Kind: desk.IdentityEmail, Value: "els@example.nl"})

	identify := func(visitor, tok string) response {
		return e.post("/widget/api/identify", map[string]string{"inbox": inboxKey, "token": visitor, "identity": tok})
	}
	tests := []struct {
		name       string
		identity   string
		wantStatus int
		wantOwner  int64 // 0: the visitor's own (new) profile, -1: none at all
	}{
		{"bad signature", signed(t, "some-other-secret-1234", idtoken.Claims{Email: "els@example.nl"}), http.StatusUnauthorized, -1},
		{"expired", signed(t, idSecret, idtoken.Claims{Email: "els@example.nl", Exp: time.Now().Add(-time.Hour).Unix()}),
			http.StatusUnauthorized, -1},
		{"garbage", "not-a-token", http.StatusUnauthorized, -1},
		{"verified email claims the existing customer", signed(t, idSecret, idtoken.Claims{Email: "ELS@example.nl",
			ExternalID: "c-77"}), http.StatusOK, els.ID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			visitor := e.newVisitor()
			e.say(visitor, "hello before login")
			r := identify(visitor, tc.identity)
			if r.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", r.status, r.raw, tc.wantStatus)
			}
			c, err := e.st.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(visitor))
			if err != nil {
				t.Fatalf("visitor has no contact: %v", err)
			}
			if tc.wantOwner == -1 {
				if c.ID == els.ID {
					t.Fatalf("a refused token linked the visitor to Els")
				}
				return
			}
			if c.ID != tc.wantOwner {
				t.Errorf("visitor's contact = %d, want %d", c.ID, tc.wantOwner)
			}
			ext, err := e.st.ContactByIdentity(ctx, desk.IdentityExtern, "c-77")
			if err != nil || ext.ID != els.ID {
				t.Errorf("external id: contact %v err %v, want Els", ext, err)
			}
			verified := false
			for _, id := range ext.Identities {
				if id.Kind == desk.IdentityExtern && id.Verified {
					verified = true
				}
			}
			if !verified {
				t.Errorf("external identity not marked verified: %+v", ext.Identities)
			}
			// What the visitor wrote before logging in follows them.
			convs, _ := e.st.ConversationsOfContact(ctx, els.ID, 10)
			if len(convs) != 1 {
				t.Errorf("Els has %d conversations, want the visitor's 1", len(convs))
			}
			if r.json["details_known"] != true {
				t.Errorf("details_known = %v, want true", r.json["details_known"])
			}
		})
	}
}

func TestIdentifyWithoutSecretRefuses(t *testing.T) {
	e := newEnv(t) // the inbox has no identity secret
	visitor := e.newVisitor()
	r := e.post("/widget/api/identify", map[string]string{"inbox": inboxKey, "token": visitor,
		"identity": signed(t, idSecret, idtoken.Claims{Email: "els@example.nl"})})
	if r.status != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", r.status)
	}
}

func TestIdentifySharedComputerKeepsHistoriesApart(t *testing.T) {
	e := newEnv(t)
	e.withIdentitySecret()
	ctx := context.Background()
	visitor := e.newVisitor()
	if r := e.post("/widget/api/identify", map[string]string{"inbox": inboxKey, "token": visitor,
		"identity": signed(t, idSecret, idtoken.Claims{ExternalID: "anna"})}); r.status != http.StatusOK {
		t.Fatalf("identify anna: %d %s", r.status, r.raw)
	}
	e.say(visitor, "Anna's question")
	anna, _ := e.st.ContactByIdentity(ctx, desk.IdentityExtern, "anna")
	if r := e.post("/widget/api/identify", map[string]string{"inbox": inboxKey, "token": visitor,
		"identity": signed(t, idSecret, idtoken.Claims{ExternalID: "bram"})}); r.status != http.StatusOK {
		t.Fatalf("identify bram: %d %s", r.status, r.raw)
	}
	bram, _ := e.st.ContactByIdentity(ctx, desk.IdentityExtern, "bram")
	if bram.ID == anna.ID {
		t.Fatal("Bram was given Anna's profile")
	}
	if now, _ := e.st.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(visitor)); now.ID != bram.ID {
		t.Errorf("browser belongs to %d, want Bram %d", now.ID, bram.ID)
	}
	if convs, _ := e.st.ConversationsOfContact(ctx, bram.ID, 10); len(convs) != 0 {
		t.Errorf("Bram sees %d of Anna's conversations, want 0", len(convs))
	}
}
