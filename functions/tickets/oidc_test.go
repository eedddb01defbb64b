package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cxloop/cxloop/shared/access"
)

// provider is a tiny OpenID Connect provider: discovery, an authorize endpoint that signs in
// whoever the test says (no login form), a token endpoint that checks the PKCE verifier, and its
// RSA key set. mutate lets a test spoil the ID token it issues.
type provider struct {
	t      *testing.T
	srv    *httptest.Server
	key    *rsa.PrivateKey
	signer *rsa.PrivateKey // signs ID tokens (key, unless a test forges)
	email  string
	groups []string
	mutate func(header, claims map[string]any)

	mu    sync.Mutex
	codes map[string]grant
}

type grant struct{ challenge, nonce, redirect string }

const testClientID = "cxloop-console"

func newProvider(t *testing.T) *provider {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{t: t, key: key, signer: key, codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize",
			"token_endpoint": p.srv.URL + "/token", "jwks_uri": p.srv.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		e := big.NewInt(int64(key.E)).Bytes()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(e)}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != testClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
			q.Get("code_challenge") == "" || !strings.Contains(q.Get("scope"), "openid") {
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		code := base64.RawURLEncoding.EncodeToString(sha256.New().Sum([]byte(q.Get("state"))))[:20]
		p.mu.Lock()
		p.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		p.mu.Lock()
		g, ok := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("client_id") != testClientID ||
			r.PostForm.Get("redirect_uri") != g.redirect || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"token_type": "Bearer", "access_token": "opaque", "id_token": p.idToken(g.nonce)})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// idToken signs the ID token of the current person for nonce.
func (p *provider) idToken(nonce string) string {
	now := time.Now()
	header := map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}
	claims := map[string]any{"iss": p.srv.URL, "sub": "user-1", "aud": testClientID, "exp": now.Add(5 * time.Minute).Unix(),
		"iat": now.Unix(), "nonce": nonce, "email": p.email, "groups": p.groups}
	if p.mutate != nil {
		p.mutate(header, claims)
	}
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	signed := enc(header) + "." + enc(claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, p.signer, crypto.SHA256, digest[:])
	if err != nil {
		p.t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// A person signs in with the company's identity provider (authorization code, PKCE, nonce); the
// ID token is verified against the provider's key set, issuer, audience, expiry and nonce, and
// their groups pick the role. Any spoiled token, a wrong state or no mapped group signs nobody in.
func TestSignInWithTheCompanysIdentityProvider(t *testing.T) {
	t.Parallel()
	f := fixture(t)
	p := newProvider(t)
	roles, err := ParseGroupRoles("cx-agents=agent, cx-admins=admin,cx-viewers=viewer")
	if err != nil {
		t.Fatal(err)
	}
	f.h.OIDC = &OIDC{Issuer: p.srv.URL, ClientID: testClientID, GroupRoles: roles, SessionKey: []byte("session-key-for-tests-0123456789")}
	console := httptest.NewTLSServer(f.h)
	t.Cleanup(console.Close)
	f.h.BaseURL = console.URL
	id := f.openTicket(t, "inv-oidc", "cust-oidc", "oidc@example.com")

	// signIn starts at a console page, signed out, and follows every redirect as a browser does.
	signIn := func(t *testing.T) (*http.Client, *http.Response, string) {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		c := console.Client()
		c.Jar = jar
		resp, err := c.Get(console.URL + "/ops/ticket/" + id)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "Sign in with your company account") {
			t.Fatalf("the sign-in page offers no company sign-in:\n%s", body)
		}
		next := resp.Request.URL.Query().Get("next")
		resp, err = c.Get(console.URL + "/ops/login/oidc?next=" + url.QueryEscape(next))
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		return c, resp, string(body)
	}

	t.Run("an agent lands on the page asked for, named, and assigns to herself", func(t *testing.T) {
		p.email, p.groups, p.mutate, p.signer = "maria@example.com", []string{"staff", "cx-agents"}, nil, p.key
		c, resp, body := signIn(t)
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/ops/ticket/"+id || !strings.Contains(body, "maria@example.com (agent)") {
			t.Fatalf("after sign-in: %d on %s\n%.500s", resp.StatusCode, resp.Request.URL, body)
		}
		form := url.Values{"action": {"assign-me"}}
		r, err := c.Post(console.URL+"/ops/ticket/"+id, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if tk, _ := f.h.Store.GetTicket(t.Context(), id); tk.Assignee != "maria@example.com" {
			t.Fatalf("assign to me: %d, assignee %q", r.StatusCode, tk.Assignee)
		}
		mine, _ := c.Get(console.URL + "/ops/tickets?assignee=me")
		b, _ := io.ReadAll(mine.Body)
		mine.Body.Close()
		if !strings.Contains(string(b), id) {
			t.Fatalf("'mine' does not find her ticket: %s", b)
		}
	})

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	refused := []struct {
		name   string
		groups []string
		mutate func(h, c map[string]any)
		signer *rsa.PrivateKey
	}{
		{"a token signed by another key", []string{"cx-agents"}, nil, other},
		{"a token for another client", []string{"cx-agents"}, func(_, c map[string]any) { c["aud"] = "someone-else" }, nil},
		{"a token from another issuer", []string{"cx-agents"}, func(_, c map[string]any) { c["iss"] = "https://evil.example.com" }, nil},
		{"an expired token", []string{"cx-agents"}, func(_, c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, nil},
		{"a token not valid yet", []string{"cx-agents"}, func(_, c map[string]any) { c["nbf"] = time.Now().Add(time.Hour).Unix() }, nil},
		{"a token with another sign-in's nonce", []string{"cx-agents"}, func(_, c map[string]any) { c["nonce"] = "replayed" }, nil},
		{"an unsigned token", []string{"cx-agents"}, func(h, _ map[string]any) { h["alg"] = "none" }, nil},
		{"a person in no mapped group", []string{"staff"}, nil, nil},
	}
	for _, tt := range refused {
		t.Run(tt.name+" signs nobody in", func(t *testing.T) {
			p.email, p.groups, p.mutate, p.signer = "mallory@example.com", tt.groups, tt.mutate, p.key
			if tt.signer != nil {
				p.signer = tt.signer
			}
			c, resp, body := signIn(t)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `role="alert"`) {
				t.Fatalf("%d on %s:\n%.400s", resp.StatusCode, resp.Request.URL, body)
			}
			if r, _ := c.Get(console.URL + "/ops/tickets"); r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("signed in after all: %d", r.StatusCode)
			}
		})
	}

	t.Run("a callback whose state is not this browser's is refused", func(t *testing.T) {
		p.email, p.groups, p.mutate, p.signer = "maria@example.com", []string{"cx-agents"}, nil, p.key
		c := console.Client()
		jar, _ := cookiejar.New(nil)
		c.Jar = jar
		r, err := c.Get(console.URL + callbackPath + "?code=x&state=forged")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a forged callback = %d", r.StatusCode)
		}
	})

	t.Run("a forged or expired session cookie is no session", func(t *testing.T) {
		now := time.Now()
		good := f.h.OIDC.session("maria@example.com", access.Admin, now)
		for name, v := range map[string]string{
			"altered role": strings.Replace(good, good[3:10], "AAAAAAA", 1),
			"expired":      f.h.OIDC.session("maria@example.com", access.Admin, now.Add(-13*time.Hour)),
			"other key":    (&OIDC{SessionKey: []byte("another-key")}).session("maria@example.com", access.Admin, now),
		} {
			resp := f.call(t, "GET", "/ops/tickets", "", "", map[string]string{"Cookie": CookieName + "=" + v})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s session = %d", name, resp.StatusCode)
			}
		}
		if resp := f.call(t, "GET", "/ops/tickets", "", "", map[string]string{"Cookie": CookieName + "=" + good}); resp.StatusCode != 200 {
			t.Errorf("a good session = %d %s", resp.StatusCode, resp.Body)
		}
	})
}

func TestGroupRolesAreParsedStrictly(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"cx-agents", "=agent", "cx=root", "cx=producer"} {
		if _, err := ParseGroupRoles(bad); err == nil {
			t.Errorf("ParseGroupRoles(%q) accepted", bad)
		}
	}
	m, err := ParseGroupRoles("")
	if err != nil || len(m) != 0 {
		t.Errorf("empty: %v %v", m, err)
	}
	o := &OIDC{GroupRoles: map[string]string{"a": access.Viewer, "b": access.Admin}}
	if got := o.roleOf([]string{"a", "b", "c"}); got != access.Admin {
		t.Errorf("the highest role of a person's groups: %q", got)
	}
}
