# The cflinuxfs4-like stack, for users who build with Docker (the tests build the same image
# without Docker: tests/images/build.sh stack). Classic buildpacks and apps run on it as vcap.
#   docker build -f images/stack.Dockerfile -t smelter/cflinuxfs4:0.1.0 .
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends busybox ca-certificates curl netbase tzdata \
      xz-utils unzip procps locales \
 && sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen && locale-gen \
 && groupadd -g 2000 vcap && useradd -u 2000 -g 2000 -m -d /home/vcap -s /bin/bash vcap \
 && rm -rf /var/lib/apt/lists/*
ENV LANG=en_US.UTF-8
CMD ["/bin/bash"]
