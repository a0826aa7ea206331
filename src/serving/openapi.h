#pragma once
// GET /openapi.json: the OpenAPI 3.0 description of the server's API (service.h).
#include <string>

namespace bertft {

const std::string& openapi_json();

}  // namespace bertft
