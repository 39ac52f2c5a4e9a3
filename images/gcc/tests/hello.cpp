#include <iostream>
#include <string>
#include <vector>
#include <unistd.h>

int main() {
	std::vector<std::string> words{"hello", "from", "C++"};
	std::string line;
	for (const auto &word : words) line += word + " ";
	std::cout << line << "as uid " << getuid() << std::endl;
	return 0;
}
