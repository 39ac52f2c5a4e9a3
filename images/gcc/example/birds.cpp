#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

int main() {
    std::vector<std::string> birds{"wren", "tit", "robin"};
    std::sort(birds.begin(), birds.end());
    std::cout << birds.size() << " birds: " << birds[0] << ", " << birds[1] << ", " << birds[2] << "\n";
}
