import os

JWT_SECRET = os.environ["JWT_SECRET"]
