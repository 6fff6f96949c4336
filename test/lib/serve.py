# serve.py DIR: DIR over HTTP on 127.0.0.1, a free port (printed first); for test/lib/http.bash
import http.server, socketserver, sys, os
os.chdir(sys.argv[1])
class Q(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.1", 0), Q)
print(s.server_address[1], flush=True)
s.serve_forever()
