package jsondecode

import jsonv1 "github.com/go-json-experiment/json/v1"

// Unmarshal decodes data into v as encoding/json.Unmarshal does.
func Unmarshal(data []byte, v any) error { return jsonv1.Unmarshal(data, v) }
