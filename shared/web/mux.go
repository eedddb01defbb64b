package web

import (
	"net/http"
	"strings"
)

// Mux is an http.ServeMux whose unmatched requests are the function's own to answer, as a page
// or JSON like its other errors (ServeMux answers them in plain text): NotFound for a path no
// pattern serves, MethodNotAllowed, with the Allow header already set, for a path that patterns
// serve only for other methods.
type Mux struct {
	*http.ServeMux
	NotFound, MethodNotAllowed http.HandlerFunc
}

// NewMux returns an empty Mux with its two fallbacks.
func NewMux(notFound, methodNotAllowed http.HandlerFunc) *Mux {
	return &Mux{ServeMux: http.NewServeMux(), NotFound: notFound, MethodNotAllowed: methodNotAllowed}
}

// probed are the methods tried to tell a wrong method from an unknown path.
var probed = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := m.Handler(r); pattern != "" {
		m.ServeMux.ServeHTTP(w, r)
		return
	}
	var allow []string
	for _, method := range probed {
		probe := r.WithContext(r.Context())
		probe.Method = method
		if _, p := m.Handler(probe); p != "" {
			allow = append(allow, method)
		}
	}
	if len(allow) == 0 {
		m.NotFound(w, r)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	m.MethodNotAllowed(w, r)
}
