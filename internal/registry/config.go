package registry

import (
	"net/http"
	"strings"
)

// compatibilityResult is the answer of compatibility checks.
type compatibilityResult struct {
	IsCompatible bool     `json:"is_compatible"`
	Messages     []string `json:"messages,omitempty"`
}

// postCompatibility checks a schema against one version of a subject, or
// against the versions its compatibility level names when no version is
// given.
func (r *Registry) postCompatibility(w http.ResponseWriter, req *http.Request) {
	var body schemaRequest
	if aerr := decode(req, &body); aerr != nil {
		fail(w, aerr)
		return
	}
	ps, aerr := parseRequest(&body)
	if aerr != nil {
		fail(w, aerr)
		return
	}
	subject := req.PathValue("subject")
	r.mu.RLock()
	level := r.level(subject)
	var msgs []string
	if v := req.PathValue("version"); v != "" {
		ver, aerr := r.resolveVersion(subject, v, false)
		if aerr != nil {
			r.mu.RUnlock()
			fail(w, aerr)
			return
		}
		// Against one given version, transitivity does not apply.
		msgs = checkCompatibility(strings.TrimSuffix(level, "_TRANSITIVE"), ps.avro, r.schemasOf([]version{ver}))
	} else if sub := r.st.subjects[subject]; sub != nil {
		msgs = checkCompatibility(level, ps.avro, r.schemasOf(sub.live(false)))
	}
	r.mu.RUnlock()
	res := compatibilityResult{IsCompatible: len(msgs) == 0}
	if flag(req, "verbose") {
		res.Messages = msgs
	}
	reply(w, res)
}

func (r *Registry) getConfig(w http.ResponseWriter, req *http.Request) {
	subject := req.PathValue("subject")
	r.mu.RLock()
	level := r.st.global
	if level == "" {
		level = r.cfg.DefaultCompatibility
	}
	if subject != "" {
		sub := r.st.subjects[subject]
		switch {
		case sub != nil && sub.level != "":
			level = sub.level
		case !flag(req, "defaultToGlobal"):
			r.mu.RUnlock()
			fail(w, &apiError{http.StatusNotFound, CodeSubjectLevelConfigNotFound,
				"Subject '" + subject + "' does not have subject-level compatibility configured"})
			return
		}
	}
	r.mu.RUnlock()
	reply(w, map[string]string{"compatibilityLevel": level})
}

func (r *Registry) putConfig(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Compatibility string `json:"compatibility"`
	}
	if aerr := decode(req, &body); aerr != nil {
		fail(w, aerr)
		return
	}
	level, ok := normaliseLevel(body.Compatibility)
	if !ok {
		fail(w, errInvalidCompatibility(body.Compatibility))
		return
	}
	if aerr := r.setLevel(req.Context(), req.PathValue("subject"), level); aerr != nil {
		fail(w, aerr)
		return
	}
	reply(w, map[string]string{"compatibility": level})
}

func (r *Registry) deleteConfig(w http.ResponseWriter, req *http.Request) {
	subject := req.PathValue("subject")
	r.mu.RLock()
	var prev string
	if sub := r.st.subjects[subject]; sub != nil {
		prev = sub.level
	}
	r.mu.RUnlock()
	if prev == "" {
		fail(w, errSubjectNotFound(subject))
		return
	}
	if aerr := r.setLevel(req.Context(), subject, ""); aerr != nil {
		fail(w, aerr)
		return
	}
	reply(w, map[string]string{"compatibilityLevel": prev})
}

// The registry is always READWRITE: IMPORT and READONLY are not supported.
func (r *Registry) getMode(w http.ResponseWriter, _ *http.Request) {
	reply(w, map[string]string{"mode": "READWRITE"})
}

func (r *Registry) putMode(w http.ResponseWriter, req *http.Request) {
	var body struct {
		Mode string `json:"mode"`
	}
	if aerr := decode(req, &body); aerr != nil {
		fail(w, aerr)
		return
	}
	if !strings.EqualFold(body.Mode, "READWRITE") {
		fail(w, &apiError{http.StatusUnprocessableEntity, CodeInvalidMode,
			"Invalid mode '" + body.Mode + "': this embedded registry only supports READWRITE"})
		return
	}
	reply(w, map[string]string{"mode": "READWRITE"})
}
