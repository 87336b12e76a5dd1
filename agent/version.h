#pragma once

namespace gtoken {
inline constexpr char kVersion[] = "0.1.0";
}  // namespace gtoken
