package sources

import "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

// ConvertRecord turns a DynamoDB Streams API record into the record Lambda delivers in a
// DynamoDB event, as the poller does (the cxloop tool re-reads failed batches with it).
func ConvertRecord(r types.Record, streamARN, region string) StreamRecord {
	return convertRecord(r, streamARN, region)
}
