package main

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cxloop/cxloop/shared/access"
	"github.com/cxloop/cxloop/shared/web"
)

// OIDC is the optional sign-in with the company's identity provider: the console's own OpenID
// Connect authorization-code flow with PKCE (docs/SECURITY.md says why not an HTTP API JWT
// authorizer). The provider's groups claim picks the role; the session is a signed cookie, so no
// table item is written per sign-in. Bearer tokens stay for machines and small teams.
type OIDC struct {
	Issuer, ClientID string
	// GroupsClaim names the ID token claim that lists the person's groups ("groups").
	GroupsClaim string
	// GroupRoles maps a group to a console role; the highest role of the person's groups wins.
	GroupRoles map[string]string
	// SessionKey signs the session cookie (the deployment's secret key).
	SessionKey []byte
	// Client reaches the provider (discovery, token and key endpoints); nil is http.DefaultClient.
	Client *http.Client

	mu   sync.Mutex
	meta *oidcMeta
	keys map[string]*rsa.PublicKey
}

type oidcMeta struct {
	Issuer        string `json:"issuer"`
	Authorization string `json:"authorization_endpoint"`
	Token         string `json:"token_endpoint"`
	JWKS          string `json:"jwks_uri"`
}

// ParseGroupRoles reads "group=role,group=role" (OIDC_GROUP_ROLES).
func ParseGroupRoles(raw string) (map[string]string, error) {
	m := map[string]string{}
	for _, pair := range strings.Split(raw, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		g, role, ok := strings.Cut(pair, "=")
		g, role = strings.TrimSpace(g), strings.TrimSpace(role)
		if !ok || g == "" || access.Rank(role) == 0 {
			return nil, fmt.Errorf("OIDC_GROUP_ROLES: %q is not group=viewer|agent|admin", pair)
		}
		m[g] = role
	}
	return m, nil
}

const (
	oidcFlowCookie = "cxoidc"         // state, nonce, PKCE verifier and next page of one sign-in
	sessionPrefix  = "s1."            // a session cookie value, as opposed to a pasted token
	sessionLife    = 12 * time.Hour   // like the token cookie's Max-Age
	flowLife       = 10 * time.Minute // how long a sign-in at the provider may take
	clockSkew      = 60 * time.Second // tolerated between the provider's clock and ours
	callbackPath   = "/ops/login/callback"
)

var errOIDC = errors.New("sign-in with the identity provider failed")

func (o *OIDC) client() *http.Client {
	if o.Client != nil {
		return o.Client
	}
	return http.DefaultClient
}

// discover reads the provider's metadata once; its issuer must be the configured one.
func (o *OIDC) discover(ctx context.Context) (*oidcMeta, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.meta != nil {
		return o.meta, nil
	}
	var m oidcMeta
	if err := o.getJSON(ctx, strings.TrimRight(o.Issuer, "/")+"/.well-known/openid-configuration", &m); err != nil {
		return nil, err
	}
	if m.Issuer != o.Issuer || m.Authorization == "" || m.Token == "" || m.JWKS == "" {
		return nil, fmt.Errorf("%w: the provider's metadata names issuer %q, not %q, or lacks endpoints", errOIDC, m.Issuer, o.Issuer)
	}
	o.meta = &m
	return o.meta, nil
}

func (o *OIDC) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := o.client().Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", errOIDC, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: GET %s: %s", errOIDC, u, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

// key returns the provider's RSA key kid, fetching the key set again once for a kid it has not
// seen (the provider rotated its keys).
func (o *OIDC) key(ctx context.Context, jwksURL, kid string) (*rsa.PublicKey, error) {
	o.mu.Lock()
	k := o.keys[kid]
	o.mu.Unlock()
	if k != nil {
		return k, nil
	}
	var set struct {
		Keys []struct{ Kty, Kid, N, E string } `json:"keys"`
	}
	if err := o.getJSON(ctx, jwksURL, &set); err != nil {
		return nil, err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, j := range set.Keys {
		n, err1 := base64.RawURLEncoding.DecodeString(j.N)
		e, err2 := base64.RawURLEncoding.DecodeString(j.E)
		if j.Kty != "RSA" || err1 != nil || err2 != nil || len(e) > 4 {
			continue
		}
		keys[j.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	o.mu.Lock()
	o.keys = keys
	o.mu.Unlock()
	if k = keys[kid]; k == nil {
		return nil, fmt.Errorf("%w: no key %q in the provider's key set", errOIDC, kid)
	}
	return k, nil
}

// idClaims are the ID token claims the console reads.
type idClaims struct {
	Iss               string   `json:"iss"`
	Sub               string   `json:"sub"`
	Aud               audience `json:"aud"`
	Azp               string   `json:"azp"`
	Exp               int64    `json:"exp"`
	Iat               int64    `json:"iat"`
	Nbf               int64    `json:"nbf"`
	Nonce             string   `json:"nonce"`
	Email             string   `json:"email"`
	PreferredUsername string   `json:"preferred_username"`
}

// audience is the aud claim: one string or a list.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// verifyIDToken checks an ID token: RS256 signature by a key of the provider's key set, the
// issuer, this console among its audiences (and as azp when there are several), not expired,
// neither issued nor valid only in the future, and the nonce of this sign-in. It returns the claims and the groups.
func (o *OIDC) verifyIDToken(ctx context.Context, raw, nonce string, now time.Time) (*idClaims, []string, error) {
	meta, err := o.discover(ctx)
	if err != nil {
		return nil, nil, err
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, nil, fmt.Errorf("%w: the ID token is not a signed JWT", errOIDC)
	}
	var head struct{ Alg, Kid string }
	if err := decodeSegment(parts[0], &head); err != nil || head.Alg != "RS256" {
		return nil, nil, fmt.Errorf("%w: the ID token's algorithm is %q, want RS256", errOIDC, head.Alg)
	}
	k, err := o.key(ctx, meta.JWKS, head.Kid)
	if err != nil {
		return nil, nil, err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the ID token's signature is not base64url", errOIDC)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig); err != nil {
		return nil, nil, fmt.Errorf("%w: the ID token's signature does not verify", errOIDC)
	}
	var c idClaims
	var all map[string]json.RawMessage
	if err := decodeSegment(parts[1], &c); err != nil {
		return nil, nil, fmt.Errorf("%w: the ID token's claims: %v", errOIDC, err)
	}
	_ = decodeSegment(parts[1], &all)
	switch {
	case c.Iss != o.Issuer:
		return nil, nil, fmt.Errorf("%w: issuer %q", errOIDC, c.Iss)
	case !slices.Contains(c.Aud, o.ClientID) || len(c.Aud) > 1 && c.Azp != o.ClientID:
		return nil, nil, fmt.Errorf("%w: the ID token is for %v, not this console", errOIDC, c.Aud)
	case now.After(time.Unix(c.Exp, 0).Add(clockSkew)):
		return nil, nil, fmt.Errorf("%w: the ID token expired", errOIDC)
	case time.Unix(c.Iat, 0).After(now.Add(clockSkew)) || time.Unix(c.Nbf, 0).After(now.Add(clockSkew)):
		return nil, nil, fmt.Errorf("%w: the ID token was issued in the future or is not valid yet", errOIDC)
	case nonce == "" || !hmac.Equal([]byte(c.Nonce), []byte(nonce)):
		return nil, nil, fmt.Errorf("%w: the ID token's nonce is not this sign-in's", errOIDC)
	}
	var groups []string
	if g, ok := all[o.groupsClaim()]; ok {
		if json.Unmarshal(g, &groups) != nil {
			var one string
			if json.Unmarshal(g, &one) == nil {
				groups = []string{one}
			}
		}
	}
	return &c, groups, nil
}

func (o *OIDC) groupsClaim() string {
	if o.GroupsClaim == "" {
		return "groups"
	}
	return o.GroupsClaim
}

// roleOf is the highest role any of groups maps to ("" for none).
func (o *OIDC) roleOf(groups []string) string {
	role := ""
	for _, g := range groups {
		if r := o.GroupRoles[g]; access.Rank(r) > access.Rank(role) {
			role = r
		}
	}
	return role
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// flow is what one sign-in keeps in its short-lived cookie between leaving for the provider and
// coming back: the state and nonce it must find again, the PKCE verifier and the page to return to.
type flow struct {
	State, Nonce, Verifier, Next string
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// redirectURI is the callback on the console's public origin (BASE_URL), registered with the
// provider.
func (h *Handler) redirectURI() string { return strings.TrimRight(h.BaseURL, "/") + callbackPath }

// oidcStart: GET /ops/login/oidc?next= sends the browser to the provider.
func (h *Handler) oidcStart(r *http.Request) web.Reply {
	meta, err := h.OIDC.discover(r.Context())
	if err != nil {
		return respond(r, true, err)
	}
	f := flow{State: random(), Nonce: random(), Verifier: random(), Next: safeNext(web.Query(r, "next"))}
	challenge := sha256.Sum256([]byte(f.Verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {h.OIDC.ClientID}, "redirect_uri": {h.redirectURI()},
		"scope": {"openid email profile"}, "state": {f.State}, "nonce": {f.Nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(challenge[:])}, "code_challenge_method": {"S256"}}
	raw, _ := json.Marshal(f)
	resp := redirect(meta.Authorization + "?" + q.Encode())
	resp.Cookies = []string{fmt.Sprintf("%s=%s; Max-Age=%d; Path=/ops/login; HttpOnly; Secure; SameSite=Lax",
		oidcFlowCookie, base64.RawURLEncoding.EncodeToString(raw), int(flowLife.Seconds()))}
	return resp
}

// oidcCallback: GET /ops/login/callback?code=&state= exchanges the code (with the PKCE verifier),
// verifies the ID token, maps the groups to a role and sets the session cookie.
func (h *Handler) oidcCallback(r *http.Request) web.Reply {
	ctx := r.Context()
	var f flow
	c, err := r.Cookie(oidcFlowCookie)
	if err == nil {
		err = decodeSegment(c.Value, &f)
	}
	if err != nil || f.State == "" || !hmac.Equal([]byte(web.Query(r, "state")), []byte(f.State)) {
		return h.signInRefused(r, "This sign-in did not start here or took too long. Try again.")
	}
	if e := web.Query(r, "error"); e != "" {
		return h.signInRefused(r, "The identity provider refused the sign-in ("+e+").")
	}
	meta, err := h.OIDC.discover(ctx)
	if err != nil {
		return respond(r, true, err)
	}
	idToken, err := h.OIDC.exchange(ctx, meta, web.Query(r, "code"), f.Verifier, h.redirectURI())
	if err != nil {
		return h.signInRefused(r, "The identity provider's answer could not be used.")
	}
	claims, groups, err := h.OIDC.verifyIDToken(ctx, idToken, f.Nonce, h.Store.Now())
	if err != nil {
		return h.signInRefused(r, "The identity provider's answer could not be verified.")
	}
	role := h.OIDC.roleOf(groups)
	name := claims.Email
	if name == "" {
		name = claims.PreferredUsername
	}
	if name == "" {
		name = claims.Sub
	}
	if role == "" {
		return h.signInRefused(r, "Signed in as "+name+", but none of your groups has a console role.")
	}
	to := f.Next
	if to == "" {
		to = "/ops/"
	}
	resp := redirect(to)
	resp.Cookies = []string{
		fmt.Sprintf("%s=%s; Max-Age=%d; %s", CookieName, h.OIDC.session(name, role, h.Store.Now()), int(sessionLife.Seconds()), cookieAttrs),
		oidcFlowCookie + "=; Max-Age=0; Path=/ops/login; HttpOnly; Secure; SameSite=Lax",
	}
	return resp
}

func (h *Handler) signInRefused(r *http.Request, msg string) web.Reply {
	return page(r.Context(), http.StatusUnauthorized, "Sign in", loginView{Error: msg, OIDC: true})
}

// exchange trades the authorization code for the ID token at the provider's token endpoint.
func (o *OIDC) exchange(ctx context.Context, meta *oidcMeta, code, verifier, redirect string) (string, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
		"client_id": {o.ClientID}, "code_verifier": {verifier}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, meta.Token, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := o.client().Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errOIDC, err)
	}
	defer resp.Body.Close()
	var out struct {
		IDToken string `json:"id_token"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out) != nil || out.IDToken == "" {
		return "", fmt.Errorf("%w: token endpoint answered %s", errOIDC, resp.Status)
	}
	return out.IDToken, nil
}

// session is the cookie value of a signed-in person: name, role and expiry, signed with
// HMAC-SHA256 under the session key.
func (o *OIDC) session(name, role string, now time.Time) string {
	payload, _ := json.Marshal(map[string]any{"n": name, "r": role, "e": now.Add(sessionLife).Unix()})
	p := base64.RawURLEncoding.EncodeToString(payload)
	return sessionPrefix + p + "." + o.mac(p)
}

func (o *OIDC) mac(p string) string {
	m := hmac.New(sha256.New, o.SessionKey)
	m.Write([]byte("cxloop console session\x00" + p))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// fromSession reads a session cookie value, or fails for a forged, altered or expired one.
func (o *OIDC) fromSession(v string, now time.Time) (*access.Token, error) {
	p, mac, ok := strings.Cut(strings.TrimPrefix(v, sessionPrefix), ".")
	if o == nil || len(o.SessionKey) == 0 || !ok || !hmac.Equal([]byte(mac), []byte(o.mac(p))) {
		return nil, errUnauthorized
	}
	var s struct {
		N, R string
		E    int64
	}
	if decodeSegment(p, &s) != nil || now.Unix() >= s.E || access.Rank(s.R) == 0 || s.N == "" {
		return nil, errUnauthorized
	}
	return &access.Token{Name: s.N, Role: s.R}, nil
}
