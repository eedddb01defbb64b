//go:build tools

// Package cxloop pins the module versions the functions build on before all of them import them.
package cxloop

import (
	_ "github.com/aws/aws-lambda-go/events"
	_ "github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	_ "github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	_ "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	_ "github.com/aws/aws-sdk-go-v2/service/sesv2"
	_ "github.com/aws/smithy-go"
	_ "github.com/chromedp/chromedp"
	_ "gopkg.in/yaml.v3"
)
