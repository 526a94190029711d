// blindml/sagemaker: encrypted inference on a SageMaker endpoint, S3 as the transport.
// Browser-safe (the AWS SDK v3 clients run in browsers); no server code is imported here.
export { SageMakerInferenceClient, fetchModelClient } from "./client.js";
export type {
  SageMakerInferenceClientOptions, PredictOptions, InferenceResult, InferenceTimings, KeysReference,
  ProgressEvent, ProgressStage, PollOptions,
} from "./client.js";
export { SageMakerError, InferenceTimeoutError, EndpointFailureError, EndpointModelMismatchError, AccessDeniedError } from "./errors.js";
export type { SageMakerErrorCode, EndpointFailureDetails } from "./errors.js";
export { parseS3Uri, formatS3Uri, joinS3Uri, S3UriError } from "./s3-uri.js";
export type { S3Location } from "./s3-uri.js";
export { headObject, getObjectBytes, putObjectBytes, s3ErrorKind, ObjectTooLargeError } from "./s3-objects.js";
export type { ObjectInfo, S3ErrorKind } from "./s3-objects.js";
export { describeFailure, isModelMismatchCode, REQUEST_CONTENT_TYPE, RESULT_CONTENT_TYPE } from "./protocol.js";
export type { InvocationRequest, ErrorBody, FailureDescription } from "./protocol.js";
