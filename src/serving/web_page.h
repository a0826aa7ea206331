#pragma once
// The web page GET / serves (src/serving/web/index.html): one self-contained HTML file, inline CSS and
// JavaScript, no network resources. CMake embeds its bytes at build time (src/serving/web/embed.cmake).
#include <string_view>

namespace bertft {

std::string_view index_html();

}  // namespace bertft
