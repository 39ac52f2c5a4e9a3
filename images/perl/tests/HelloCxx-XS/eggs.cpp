// C++ behind an XS module: the standard library (libstdc++) and an exception (libgcc_s's unwinder).
#include <numeric>
#include <stdexcept>
#include <vector>

extern "C" int birdhouse_eggs(void) {
    std::vector<int> eggs{6, 9, 5, 22};
    try {
        throw std::runtime_error("caught");
    } catch (const std::exception &) {
        return std::accumulate(eggs.begin(), eggs.end(), 0);
    }
}
