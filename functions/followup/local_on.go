//go:build cxloop.local

package main

// allowLoopbackWebhooks lets the local stack's webhook receivers on 127.0.0.1 work: only the local
// Lambda host builds with the cxloop.local tag (infra/local/lambdahost), never `sam build`.
const allowLoopbackWebhooks = true
