package sources

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/smithy-go/middleware"
)

// Clients builds the DynamoDB and DynamoDB Streams clients a Poller needs. endpoint is the
// local DynamoDB (AWS_ENDPOINT_URL_DYNAMODB): DynamoDB Local serves both APIs on one port.
// An empty endpoint means AWS's.
func Clients(cfg aws.Config, endpoint string) (*dynamodb.Client, *dynamodbstreams.Client) {
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	streams := dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Deserialize.Insert(typeEmptyMaps, "OperationDeserializer", middleware.After)
		})
	})
	return db, streams
}
