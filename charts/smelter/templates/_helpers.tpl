{{/* Names and defaults shared by the templates. */}}

{{- define "smelter.labels" -}}
app.kubernetes.io/name: smelter
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "smelter.tag" -}}
{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "smelter.image" -}}
{{ printf "%s:%s" .Values.image.repository (include "smelter.tag" .) }}
{{- end }}

{{- define "smelter.appsDomain" -}}
{{ .Values.appsDomain | default (printf "apps.%s" .Values.systemDomain) }}
{{- end }}

{{- define "smelter.apiHost" -}}
{{ printf "api.%s" .Values.systemDomain }}
{{- end }}

{{/* NAME=IMAGE,... for the operator's --stack-image. */}}
{{- define "smelter.stackImages" -}}
{{- $tag := include "smelter.tag" . -}}
{{- $out := list -}}
{{- range .Values.stacks -}}
{{- $out = append $out (printf "%s=%s" .name (.image | default (printf "smelter/%s:%s" .name $tag))) -}}
{{- end -}}
{{ join "," $out }}
{{- end }}

{{/* The admin's password: the value, else the one generated at install (kept by lookup). */}}
{{- define "smelter.adminPassword" -}}
{{- if .Values.admin.password -}}
{{ .Values.admin.password }}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Values.rootNamespace "smelter-admin-password" -}}
{{- if and $existing $existing.data $existing.data.password -}}
{{ $existing.data.password | b64dec }}
{{- else -}}
{{- if not (hasKey .Release "smelterGeneratedPassword") -}}
{{- $_ := set .Release "smelterGeneratedPassword" (randAlphaNum 24) -}}
{{- end -}}
{{ .Release.smelterGeneratedPassword }}
{{- end -}}
{{- end -}}
{{- end }}
