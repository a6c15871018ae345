// SPDX-License-Identifier: MIT
#include "eddy/http/error.hpp"

#include "eddy/http/status.hpp"

namespace eddy::http {

error::error(int status) : error(status, std::string(reason_phrase(status))) {}

}  // namespace eddy::http
