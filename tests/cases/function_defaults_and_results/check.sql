SELECT g = 'hello you?' AND a = 42 FROM greeting
