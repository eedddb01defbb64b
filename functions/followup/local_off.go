//go:build !cxloop.local

package main

// allowLoopbackWebhooks is false in every build but the local Lambda host's (tag cxloop.local).
const allowLoopbackWebhooks = false
