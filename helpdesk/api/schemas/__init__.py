"""The API's request and response models: they validate what comes in and, through
helpdesk.api.spec, write the OpenAPI document."""
