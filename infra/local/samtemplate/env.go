package samtemplate

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// EnvFile is an env.json in the format of `sam local invoke --env-vars`:
//
//	{"Parameters": {"VAR": "applies to every function"}, "DispatchFunction": {"VAR": "this one only"}}
//
// Keys are variable names, not template parameters. As with SAM, only variables the template
// declares for a function are overridden: a function reads nothing the template does not declare.
type EnvFile map[string]map[string]string

// LoadEnvFile reads an env.json. A missing file is an empty EnvFile, so callers can pass an
// optional path straight through.
func LoadEnvFile(path string) (EnvFile, error) {
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return EnvFile{}, nil
	}
	if err != nil {
		return nil, err
	}
	var generic map[string]map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f := EnvFile{}
	for section, vars := range generic {
		f[section] = map[string]string{}
		for k, v := range vars {
			switch v := v.(type) {
			case string:
				f[section][k] = v
			case nil:
				f[section][k] = ""
			default:
				b, _ := json.Marshal(v)
				f[section][k] = string(b)
			}
		}
	}
	return f, nil
}

// FunctionEnv returns the environment fn runs with locally: the template's variables resolved
// with !Ref Table yielding tableName (when not empty), then env's "Parameters" section, then
// env's section for fn's logical id, each overriding only declared variables.
func (t *Template) FunctionEnv(fn *Function, tableName string, env EnvFile) map[string]string {
	var refs map[string]string
	if tableName != "" {
		refs = map[string]string{"Table": tableName}
	}
	out := t.resolveEnv(fn.rawEnv, refs)
	for _, section := range []string{"Parameters", fn.LogicalID} {
		for k, v := range env[section] {
			if _, declared := out[k]; declared {
				out[k] = v
			}
		}
	}
	return out
}

// Environ renders env as sorted KEY=VALUE strings for exec.Cmd.Env.
func Environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
