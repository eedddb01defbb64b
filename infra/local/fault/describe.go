package fault

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Describe reads what the injector decides on from req: the service from the SigV4 credential
// scope, the operation from X-Amz-Target (JSON-RPC services) or the path (REST services), and
// the body, which it puts back so the request can still be forwarded.
func Describe(req *http.Request) (Call, error) {
	c := Call{Service: signingName(req.Header.Get("Authorization"))}
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return c, fmt.Errorf("%w: %w", errNoBody, err)
		}
		c.Body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		req.ContentLength = int64(len(b))
	}
	switch target := req.Header.Get("X-Amz-Target"); {
	case target != "":
		c.Operation = target[strings.LastIndex(target, ".")+1:]
	case req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/v2/email/outbound-emails"):
		c.Operation = "SendEmail"
	default:
		c.Operation = req.Method + " " + req.URL.Path
	}
	return c, nil
}

// signingName returns the service of a SigV4 Authorization header
// ("... Credential=AKID/20261123/us-east-1/dynamodb/aws4_request, ...").
func signingName(auth string) string {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return "unknown"
	}
	rest, _, _ = strings.Cut(rest, ",")
	parts := strings.Split(rest, "/")
	if len(parts) < 5 {
		return "unknown"
	}
	return parts[3]
}

// ErrorResponse is the answer the service itself gives for a fault of kind k: DynamoDB speaks
// JSON 1.0 with a "__type", SES v2 speaks REST-JSON with an x-amzn-ErrorType header. alt picks
// between equivalent throttling codes (DynamoDB has two).
func ErrorResponse(req *http.Request, c Call, k Kind, alt bool) *http.Response {
	status, code, msg := http.StatusBadRequest, "", ""
	switch k {
	case Throttle:
		msg = "Rate exceeded (injected)"
		switch {
		case c.Service != "dynamodb":
			status, code = http.StatusTooManyRequests, "TooManyRequestsException"
		case alt:
			code = "ProvisionedThroughputExceededException"
		default:
			code = "ThrottlingException"
		}
	case Unavailable:
		status, code, msg = http.StatusServiceUnavailable, "ServiceUnavailable", "Service unavailable (injected)"
	default:
		status, code, msg = http.StatusInternalServerError, "InternalServerError", "Internal server error (injected)"
		if c.Service != "dynamodb" {
			code = "InternalFailure"
		}
	}
	h := http.Header{}
	var body string
	if c.Service == "dynamodb" {
		h.Set("Content-Type", "application/x-amz-json-1.0")
		body = `{"__type":"com.amazonaws.dynamodb.v20120810#` + code + `","message":` + strconv.Quote(msg) + `}`
	} else {
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-Errortype", code)
		body = `{"message":` + strconv.Quote(msg) + `}`
	}
	h.Set("X-Amzn-Requestid", "fault-injected")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}
}
